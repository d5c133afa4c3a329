using System.Text.Json;
using Webhooks.Contracts;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Providers.Asana;
using Webhooks.Persistence.Model;
using static Webhooks.Ingress.Tests.Providers.ReceiverTestKit;

namespace Webhooks.Ingress.Tests.Providers;

public sealed class AsanaReceiverTests
{
    // The handshake secret of the recorded delivery (fixtures SOURCES.md).
    private const string HandshakeSecret = "cfecd97ea57de2b55a0a1a343c16fe3e";
    private readonly AsanaReceiver _receiver = new();

    [Test]
    public void Real_delivery_verifies_with_its_handshake_secret()
    {
        var body = PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json");
        var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(PayloadFixtures.ReadText(Provider.Asana, "task_changed.completed.headers.json"))!;
        var webhook = Received(body, ("X-Hook-Signature", headers["x-hook-signature"]));

        Assert.That(_receiver.CheckSignature(webhook, HandshakeSecret, new IntegrationSettings()), Is.EqualTo(SignatureCheck.Valid));
    }

    [Test]
    public void One_byte_changed_in_the_body_is_a_mismatch()
    {
        var body = PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json");
        body[^2] ^= 1;
        var webhook = Received(body, ("X-Hook-Signature", "11c89fb59db2a2cfe5eef26a3d7dc77d3ad0bbdd7f23700d7aff2fe6ff8e2581"));
        Assert.That(_receiver.CheckSignature(webhook, HandshakeSecret, new IntegrationSettings()), Is.EqualTo(SignatureCheck.Mismatch));
    }

    [Test]
    public void Heartbeat_with_no_events_is_a_handshake()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_receiver.IsHandshake(Received(Utf8("""{"events":[]}"""))), Is.True);
            Assert.That(_receiver.IsHandshake(Received(PayloadFixtures.Read(Provider.Asana, "task_changed.completed.json"))), Is.False);
            Assert.That(_receiver.IsHandshake(Received(Utf8("not json"))), Is.False);
        });
    }
}
