using System.Net;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// Once an Asana handshake's secret is committed, the handshake is confirmed even when this replica cannot reload its
/// directory at once: answered 503, Asana would create the webhook again with a new secret, which the stored one then
/// keeps out (409) until an operator steps in.
/// </summary>
public sealed class AsanaHandshakeAfterCommitTests : IngressFixture
{
    // A statement blocked longer than this fails: the directory's reload, blocked below, fails after the commit.
    protected override void Configure(IWebHostBuilder web) =>
        web.UseSetting("ConnectionStrings:Webhooks", $"{IngressSetUp.Database.ConnectionString};Command Timeout=2");

    [Test]
    public async Task Handshake_whose_directory_reload_fails_after_the_secret_is_stored_is_confirmed_and_the_secret_verifies_soon_after()
    {
        var asana = await Admin.SeedAsync(provider: "asana");

        HttpResponseMessage handshake;
        await using (var connection = new NpgsqlConnection(IngressSetUp.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            // The handshake's own statements read and write integrations and their secrets; the reload also reads accounts.
            await using (var block = new NpgsqlCommand("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE", connection, transaction))
            {
                await block.ExecuteNonQueryAsync();
            }
            handshake = await AsanaSender.HandshakeAsync(Client, asana.WebhookPath, AsanaSender.RecordedSecret);
        }

        using (handshake)
        {
            Assert.That(handshake.StatusCode, Is.EqualTo(HttpStatusCode.OK), await handshake.Content.ReadAsStringAsync());
            Assert.That(handshake.Headers.GetValues("X-Hook-Secret").Single(), Is.EqualTo(AsanaSender.RecordedSecret));
        }
        await Eventually.GetAsync("the directory's next poll to read the stored secret",
            () => AsanaSender.PostRecordedDeliveryAsync(Client, asana.WebhookPath), status => status == HttpStatusCode.OK);
    }
}
