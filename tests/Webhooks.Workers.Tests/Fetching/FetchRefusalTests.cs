using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Webhooks.Contracts;
using Webhooks.Persistence.Model;
using static Webhooks.Workers.Tests.Fetching.FakeProviderApi;
using static Webhooks.Workers.Tests.WorkerScenario;

namespace Webhooks.Workers.Tests.Fetching;

/// <summary>
/// <c>settings.apiBaseUrl</c> is not a way into the network the workers sit in: a worker calls only base URLs it allows
/// itself, follows no redirect, reads no answer over 1 MiB, and what it records on the delivery names no address, port or
/// socket error. Each case on the real stack: the integration made through the admin API, an Asana delivery posted to
/// the ingress, a worker of its own configured as the case needs.
/// </summary>
public sealed class FetchRefusalTests : FetchingFixture
{
    private const string TaskGid = "1199170056173519";
    private const string Token = "asana-pat-refusals-0123456789";
    private const string HookSecret = "refusal-tests-hook-secret";

    private static Task<WorkerApplication> StartWorkerAsync(params string[] settings) =>
        WorkerApplication.StartAsync([
            "--Workers:Providers=asana", .. QuickFetching, .. settings]);

    /// <summary>An Asana integration through the admin API with <paramref name="apiBaseUrl"/>, a record linked to the task, and a delivery naming it.</summary>
    private async Task<Delivery> DeliverAsync(string apiBaseUrl)
    {
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await Ingress.Admin.CreateIntegrationAsync(tenant, "asana",
            new { statusMappings = new Dictionary<string, string> { ["Completed"] = "shipped" }, apiBaseUrl, apiToken = Token });
        await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, TaskGid);
        await Ingress.AsanaHandshakeAsync(integration, HookSecret);
        var body = PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json");
        var deliveryId = await Ingress.PostWebhookAsync(integration, body, new Dictionary<string, string> { ["X-Hook-Signature"] = SenderSignatures.HexHmacSha256(HookSecret, body) });
        return await WaitForOutcomeAsync(deliveryId);
    }

    private static void AssertNamesNothingInternal(Delivery delivery, Uri baseUrl)
    {
        Assert.That(delivery.LastError, Does.Not.Contain(baseUrl.Host).And.Not.Contain(baseUrl.Port.ToString(CultureInfo.InvariantCulture))
            .And.Not.Contain("refused").IgnoreCase.And.Not.Contain(Token));
    }

    [Test]
    public async Task Base_url_the_worker_does_not_allow_fails_the_delivery_without_a_request()
    {
        // The ingress allows loopback; this worker does not (its Fetching:AllowedBaseUrls is empty): it is the one that calls.
        await using var worker = await StartWorkerAsync();

        var delivery = await DeliverAsync(Api.BaseUrl.ToString());

        Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Failed, 1)));
        Assert.That(delivery.LastError, Does.StartWith("settings.apiBaseUrl must be https://app.asana.com/api/1.0").And.Contain("nothing was fetched"));
        Assert.That(Api.Requests, Is.Empty);
    }

    [Test]
    public async Task Token_this_worker_cannot_decrypt_fails_the_delivery_with_the_reason_without_a_request()
    {
        // A worker whose key ring is not the ingress's (a folder of its own instead of the database's).
        var keys = Directory.CreateTempSubdirectory("webhooks-keys-");
        try
        {
            await using var worker = await StartWorkerAsync($"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}", $"--DataProtection:KeysPath={keys.FullName}");

            var delivery = await DeliverAsync(Api.BaseUrl.ToString());

            Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Failed, 1)));
            Assert.That(delivery.LastError, Does.StartWith("settings.apiToken cannot be decrypted with this worker's key ring"));
            Assert.That(Api.Requests, Is.Empty);
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    /// <summary>
    /// A story id of <c>..</c> from a signed payload: <c>stories/..</c> resolves to the API's base itself, which the
    /// worker used to call with the token (it only refused a path walking out of the base). An id is one path segment.
    /// </summary>
    [TestCase("..")]
    [TestCase(".")]
    public async Task Item_id_walking_up_the_path_fails_the_delivery_without_a_request(string storyGid)
    {
        await using var worker = await StartWorkerAsync($"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}");
        var tenant = await Ingress.Admin.CreateTenantAsync();
        var integration = await Ingress.Admin.CreateIntegrationAsync(tenant, "asana",
            new { statusMappings = new Dictionary<string, string> { ["Completed"] = "shipped" }, apiBaseUrl = Api.BaseUrl.ToString(), apiToken = Token });
        await Ingress.Admin.CreateLinkedRecordAsync(tenant, integration, TaskGid);
        await Ingress.AsanaHandshakeAsync(integration, HookSecret);
        var body = System.Text.Encoding.UTF8.GetBytes(Providers.AsanaPayloadParserTests.Events(
            Providers.AsanaPayloadParserTests.Event(storyGid, "story", "added", parentGid: TaskGid, parentType: "task", subtype: "comment_added")));

        var delivery = await WaitForOutcomeAsync(await Ingress.PostWebhookAsync(integration, body,
            new Dictionary<string, string> { ["X-Hook-Signature"] = SenderSignatures.HexHmacSha256(HookSecret, body) }));

        Assert.That((delivery.Status, delivery.Attempts), Is.EqualTo((DeliveryStatus.Failed, 1)), delivery.LastError);
        Assert.That(delivery.LastError, Does.Contain("not called"));
        Assert.That(Api.Requests, Is.Empty, "the token went nowhere");
    }

    [Test]
    public async Task Redirect_fails_the_delivery_and_the_token_never_reaches_its_target()
    {
        await using var worker = await StartWorkerAsync($"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}");
        Api.On($"tasks/{TaskGid}", Redirect(new Uri(Api.BaseUrl, "internal/metadata").ToString())).On("internal/metadata", Json("""{"data":{}}"""));

        var delivery = await DeliverAsync(Api.BaseUrl.ToString());

        Assert.That(delivery.Status, Is.EqualTo(DeliveryStatus.Failed));
        Assert.That(delivery.LastError, Is.EqualTo($"asana API GET /api/tasks/{TaskGid} answered 302, a redirect; redirects are not followed (check settings.apiBaseUrl)."));
        AssertNamesNothingInternal(delivery, Api.BaseUrl);
        Assert.That(Api.Requests.Select(r => r.Path), Is.EqualTo(new[] { $"tasks/{TaskGid}" }));
    }

    [Test]
    public async Task Answer_over_one_MiB_fails_the_delivery()
    {
        await using var worker = await StartWorkerAsync($"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}");
        Api.On($"tasks/{TaskGid}", Big(8 * 1024 * 1024, chunked: true));

        var delivery = await DeliverAsync(Api.BaseUrl.ToString());

        Assert.That((delivery.Status, delivery.LastError), Is.EqualTo((DeliveryStatus.Failed, $"asana API GET /api/tasks/{TaskGid} answered more than 1 MiB; not read.")));
    }

    [Test]
    public async Task Refused_connection_fails_the_delivery_naming_no_address_port_or_socket_error()
    {
        await using var worker = await StartWorkerAsync($"--Fetching:AllowedBaseUrls={AdminIngress.LoopbackApis}");
        var closed = new Uri($"http://127.0.0.1:{ClosedPort()}/api/");

        var delivery = await DeliverAsync(closed.ToString());

        Assert.That((delivery.Status, delivery.LastError),
            Is.EqualTo((DeliveryStatus.Failed, $"Could not connect to the asana API (asana API GET /api/tasks/{TaskGid}) after 2 attempts.")));
        AssertNamesNothingInternal(delivery, closed);
    }

    /// <summary>A loopback port nothing listens on: one the system just handed out and took back.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
