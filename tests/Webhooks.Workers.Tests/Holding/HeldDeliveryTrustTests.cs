using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Webhooks.Contracts;
using Webhooks.Persistence;
using Webhooks.Persistence.Model;
using Webhooks.Persistence.Secrets;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Holding;

/// <summary>
/// Whoever holds broker credentials can publish to <c>webhooks-holding</c> (the ingress's own user may): a forged
/// <see cref="HeldDelivery"/> published there with the RabbitMQ client, as an attacker would, is never stored, and goes to
/// <c>webhooks-holding_error</c>; only what an ingress sealed with the shared key ring, for an integration with the
/// provider and account it names, is stored. Own vhost and worker, so the error queue holds only this class's messages.
/// </summary>
[NonParallelizable]
public sealed class HeldDeliveryTrustTests
{
    private const string ErrorQueue = QueueNames.Holding + "_error";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private TestVirtualHost _vhost = null!;
    private WorkerApplication _worker = null!;
    private ServiceProvider _ingressSide = null!;
    private HeldDeliverySeal _ingressSeal = null!;
    private Integration _integration = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _vhost = await TestVirtualHost.CreateAsync("holding-trust");
        _worker = await WorkerApplication.StartAsync($"--RabbitMqTransport:VHost={_vhost.Name}");
        // What the ingress seals with: the same Data Protection set-up, key ring and certificate, allowed to make keys.
        var builder = Host.CreateApplicationBuilder([
            $"--ConnectionStrings:Webhooks={WorkersSetUp.Database.ConnectionString}",
            $"--DataProtection:CertificatePath={TestCertificates.KeyRingPath}"]);
        builder.AddWebhooksDatabase();
        _ingressSide = builder.Services.BuildServiceProvider();
        _ingressSeal = _ingressSide.GetRequiredService<HeldDeliverySeal>();

        var scenario = await CreateAsync();
        var product = await scenario.CreateProductAsync("Held");
        _integration = await scenario.CreateIntegrationAsync(product, await scenario.CreateWriterAsync("Runner", product));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _worker.DisposeAsync();
        await _ingressSide.DisposeAsync();
        await _vhost.DisposeAsync();
    }

    private static IEnumerable<TestCaseData> Forgeries()
    {
        yield return new TestCaseData(new Forgery((message, _) => message)).SetArgDisplayNames("no seal at all");
        yield return new TestCaseData(new Forgery((message, _) => message with { Seal = Convert.ToBase64String(RandomNumberGenerator.GetBytes(120)) }))
            .SetArgDisplayNames("a made-up seal");
        yield return new TestCaseData(new Forgery((message, _) => message with { Seal = "not base64 at all" })).SetArgDisplayNames("a malformed seal");
        yield return new TestCaseData(new Forgery((message, seal) => SealedBy(seal, message with { SignatureVerified = false }) with { SignatureVerified = true }))
            .SetArgDisplayNames("a real seal, signature flag flipped");
        yield return new TestCaseData(new Forgery((message, seal) => SealedBy(seal, message) with { Body = "{\"forged\":true}"u8.ToArray() }))
            .SetArgDisplayNames("a real seal, body replaced");
        yield return new TestCaseData(new Forgery((message, seal) => SealedBy(seal, message) with { IntegrationId = Guid.NewGuid() }))
            .SetArgDisplayNames("a real seal, moved to another integration");
    }

    [TestCaseSource(nameof(Forgeries))]
    public async Task Forged_held_delivery_published_with_broker_credentials_is_refused_and_never_stored(Forgery forge)
    {
        var forged = forge.Make(Held(_integration, signatureVerified: true), _ingressSeal);

        await PublishAsAttackerAsync(forged);

        var refused = await NextErrorAsync();
        Assert.That(refused.MessageId, Is.EqualTo(forged.DeliveryId.ToString()), "the refused message is kept in webhooks-holding_error");
        Assert.That(refused.FaultMessage, Does.Contain("refused, not stored"));
        if (forged.Seal is { Length: > 0 } seal)
        {
            Assert.That(refused.FaultMessage, Does.Not.Contain(seal), "the reason never carries the seal");
        }
        Assert.That(await StoredAsync(forged.DeliveryId), Is.Null, "a forged held delivery is never stored");
    }

    [Test]
    public async Task Sealed_held_delivery_naming_another_provider_or_account_or_no_integration_is_refused()
    {
        // Sealed as the ingress seals (a compromised or broken ingress), but not what the integration is.
        var wrongProvider = SealedBy(_ingressSeal, Held(_integration, signatureVerified: true) with { Provider = Provider.GitHub });
        var wrongAccount = SealedBy(_ingressSeal, Held(_integration, signatureVerified: true) with { AccountId = Guid.NewGuid() });
        var noIntegration = SealedBy(_ingressSeal, Held(_integration, signatureVerified: true) with { IntegrationId = Guid.NewGuid() });

        foreach (var (message, reason) in new[] { (wrongProvider, "github"), (wrongAccount, "another account"), (noIntegration, "does not exist") })
        {
            await PublishAsAttackerAsync(message);
            var refused = await NextErrorAsync();
            Assert.That(refused.MessageId, Is.EqualTo(message.DeliveryId.ToString()));
            Assert.That(refused.FaultMessage, Does.Contain(reason));
            Assert.That(await StoredAsync(message.DeliveryId), Is.Null);
        }
    }

    [Test]
    public async Task Held_delivery_sealed_by_the_ingress_is_stored_as_it_was_accepted()
    {
        var held = SealedBy(_ingressSeal, Held(_integration, signatureVerified: true));

        await PublishAsAttackerAsync(held);

        var stored = await WaitForStoredAsync(held.DeliveryId);
        Assert.Multiple(() =>
        {
            Assert.That(stored.Status, Is.EqualTo(DeliveryStatus.Accepted), "stored for the ingress's outbox relay to publish");
            Assert.That(stored.SignatureVerified, Is.True);
            Assert.That(stored.Body, Is.EqualTo(held.Body));
            Assert.That(stored.IntegrationId, Is.EqualTo(_integration.Id));
        });
    }

    /// <summary>What the ingress holds for a Jira comment it accepted while PostgreSQL was down (not yet sealed).</summary>
    private static HeldDelivery Held(Integration integration, bool signatureVerified) => new(
        Guid.CreateVersion7(), integration.Id, Provider.Jira, DateTimeOffset.UtcNow, """{"User-Agent":"Atlassian Webhook HTTP Client"}""",
        "application/json", PayloadFixtures.Read(Provider.Jira, "comment_created.json"), null, signatureVerified, integration.AccountId);

    /// <summary>
    /// Publishes the message as MassTransit would (its JSON envelope) straight to the holding exchange with the RabbitMQ
    /// client and the ingress's broker credentials: what anyone holding those credentials can do.
    /// </summary>
    private async Task PublishAsAttackerAsync(HeldDelivery message)
    {
        var envelope = new
        {
            messageId = message.DeliveryId,
            conversationId = Guid.NewGuid(),
            destinationAddress = $"rabbitmq://{TestServices.RabbitHost}/{_vhost.Name}/{QueueNames.Holding}",
            messageType = new[] { "urn:message:webhooks:held-delivery:v1" },
            message = new
            {
                deliveryId = message.DeliveryId,
                integrationId = message.IntegrationId,
                provider = (int)message.Provider,
                receivedAt = message.ReceivedAt,
                headers = message.Headers,
                contentType = message.ContentType,
                body = message.Body,
                sourceDeliveryId = message.SourceDeliveryId,
                signatureVerified = message.SignatureVerified,
                accountId = message.AccountId,
                seal = message.Seal,
            },
            sentTime = DateTime.UtcNow,
            headers = new { },
        };
        await using var connection = await TestBroker.ConnectAsync(_vhost.Name, TestServices.IngressBrokerUser);
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties
        {
            ContentType = "application/vnd.masstransit+json",
            MessageId = message.DeliveryId.ToString(),
            DeliveryMode = DeliveryModes.Persistent,
        };
        await channel.BasicPublishAsync(QueueNames.Holding, routingKey: "", mandatory: true, properties, JsonSerializer.SerializeToUtf8Bytes(envelope));
    }

    /// <summary>Takes the next message off webhooks-holding_error (waiting for it), with the reason MassTransit recorded.</summary>
    private async Task<(string? MessageId, string FaultMessage)> NextErrorAsync()
    {
        var message = await Eventually.GetAsync($"a message in {ErrorQueue}", async () =>
        {
            // A connection per try: the broker closes the whole connection on 541.
            await using var connection = await TestBroker.ConnectAsync(_vhost.Name);
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                return await channel.BasicGetAsync(ErrorQueue, autoAck: true);
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode is 404 or 541)
            {
                // The worker declares the error queue with its first refusal (404 before); a quorum queue declared a
                // moment ago can still answer 541 "noproc" while its process starts.
                return null;
            }
        }, got => got is not null, Timeout);
        var headers = message!.BasicProperties.Headers ?? new Dictionary<string, object?>();
        var fault = headers.TryGetValue("MT-Fault-Message", out var value) && value is byte[] text ? Encoding.UTF8.GetString(text) : "";
        return (message.BasicProperties.MessageId, fault);
    }

    private static async Task<Delivery?> StoredAsync(Guid deliveryId)
    {
        await using var db = NewContext();
        return await db.Deliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId);
    }

    private static async Task<Delivery> WaitForStoredAsync(Guid deliveryId) =>
        (await Eventually.GetAsync($"held delivery {deliveryId} to be stored", () => StoredAsync(deliveryId), stored => stored is not null, Timeout))!;

    /// <summary>The message as the ingress sends it: with its seal (a real seal an attacker could have copied off the queue).</summary>
    private static HeldDelivery SealedBy(HeldDeliverySeal seal, HeldDelivery message) => message with { Seal = seal.Seal(message with { Seal = null }) };

    /// <summary>One way to forge a held delivery from an honest one, with the ingress's sealer for the variants that reuse a real seal.</summary>
    public sealed record Forgery(Func<HeldDelivery, HeldDeliverySeal, HeldDelivery> Make);
}
