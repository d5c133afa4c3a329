using System.Text;
using System.Text.Json;
using Webhooks.Contracts;

namespace Webhooks.Workers.Tests.Hostile;

/// <summary>
/// How each sender shapes and signs its request, as its end-to-end tests and docs/providers.md describe it: its content
/// type and headers (those recorded with a fixture in <c>&lt;name&gt;.headers.json</c> too), the settings an operator
/// gives its integration, and the signature over the exact bytes sent. A provider without an entry here fails the
/// hostile suite by name, so a new sender cannot join the system untested.
/// </summary>
public sealed class HostileSender
{
    /// <summary>What the senders' own secrets look like; each integration gets this one through the admin API.</summary>
    public const string Secret = "hostile-suite-signing-secret-0123456789";

    /// <summary>A Standard Webhooks secret (<c>whsec_</c> and 32 bytes in base64), the only form that sender's integrations take.</summary>
    public static readonly string StandardSecret = "whsec_" + Convert.ToBase64String(Encoding.ASCII.GetBytes("hostile-suite-standard-secret-32"));

    /// <summary>An API token given with settings.apiToken (Asana, Smartsheet), so the fetch step runs against the fake API.</summary>
    public const string ApiToken = "hostile-suite-api-token-0123456789";

    private HostileSender(Provider provider) => Provider = provider;

    public Provider Provider { get; }

    /// <summary>The content type the sender sends.</summary>
    public string ContentType { get; private init; } = "application/json";

    /// <summary>The integration's settings (besides a signing secret); <c>apiBaseUrl</c> is the fake API's.</summary>
    public Func<Uri, object> Settings { get; private init; } = _ => new { };

    /// <summary>
    /// Settings under which the sender's unsigned requests are checked (Salesforce's organization, Rally's subscription),
    /// for the batch that must be refused; null for senders that sign.
    /// </summary>
    public object? CheckedSettings { get; private init; }

    /// <summary>Bodies such a checked integration must refuse (another organization or subscription, an unreadable one).</summary>
    public Func<byte[], IEnumerable<(string What, byte[] Body)>> FromAnotherSender { get; private init; } = _ => [];

    /// <summary>The secret given as <c>signingSecret</c> through the admin API; null when the sender signs nothing.</summary>
    public string? SigningSecret { get; private init; }

    /// <summary>The secret arrives in the sender's own handshake (Asana's <c>X-Hook-Secret</c>), not through the admin API.</summary>
    public bool SecretByHandshake { get; private init; }

    /// <summary>
    /// The signature headers for a body sent to a callback URL, made with a secret, for one message id (a sender that
    /// signs its message id with the body sends it among these).
    /// </summary>
    public Func<byte[], string, string, string, IReadOnlyList<KeyValuePair<string, string>>> Sign { get; private init; } = (_, _, _, _) => [];

    /// <summary>The signature covers the callback URL too (Trello): one made for another integration's URL must not verify.</summary>
    public bool SignsCallbackUrl { get; private init; }

    /// <summary>A secret of the sender's own form that is not the integration's.</summary>
    public string WrongSecret { get; private init; } = "not-the-integration-secret";

    /// <summary>Names of the headers that carry a signature (replaced, never sent as recorded).</summary>
    public IReadOnlyList<string> SignatureHeaders { get; private init; } = [];

    /// <summary>The headers every request of this sender carries for a fixture: its event name, a fresh delivery id.</summary>
    public Func<string, IReadOnlyList<KeyValuePair<string, string>>> Headers { get; private init; } = _ => [];

    /// <summary>
    /// Where the body names the sender's own delivery id (Trello's action, Rally's message, Smartsheet's nonce). Each
    /// request gets a fresh one, as each real delivery does: the ingress stores it as the source delivery id, and the
    /// worker takes a second delivery with the same one as the sender's retry, recording it duplicate without parsing it.
    /// </summary>
    public IReadOnlyList<string[]> BodyDeliveryIds { get; private init; } = [];

    /// <summary>Headers that make a request a handshake answered before the body is read; mutated copies go without them.</summary>
    public IReadOnlyList<string> HandshakeHeaders { get; private init; } = [];

    /// <summary>A delivery that must be applied on a fresh integration once the hostile ones are done: the fixture and the item it changes.</summary>
    public (string Fixture, string LinkedItem) Normal { get; private init; }

    public static HostileSender For(Provider provider) => provider switch
    {
        Provider.Jira => new(provider)
        {
            Settings = _ => new { statusMappings = Mappings("To Do", "In Progress", "Done") },
            SigningSecret = Secret,
            Sign = (body, _, secret, _) => [new("X-Hub-Signature", "sha256=" + SenderSignatures.HexHmacSha256(secret, body))],
            SignatureHeaders = ["X-Hub-Signature"],
            Headers = _ =>
            [
                new("User-Agent", "Atlassian Webhook HTTP Client"),
                new("X-Atlassian-Webhook-Identifier", Guid.NewGuid().ToString()),
                new("X-Atlassian-Webhook-Flow", "Primary"),
            ],
            Normal = ("comment_created.json", "10040"),
        },
        Provider.GitHub => new(provider)
        {
            Settings = _ => new { statusMappings = Mappings("open", "closed") },
            SigningSecret = Secret,
            Sign = (body, _, secret, _) => [new("X-Hub-Signature-256", "sha256=" + SenderSignatures.HexHmacSha256(secret, body))],
            SignatureHeaders = ["X-Hub-Signature-256", "X-Hub-Signature"],
            // Fixtures are named {event}.{action}.json.
            Headers = fixture =>
            [
                new("User-Agent", "GitHub-Hookshot/044aadd"),
                new("X-GitHub-Event", fixture.Split('.')[0]),
                new("X-GitHub-Delivery", Guid.NewGuid().ToString()),
                new("X-GitHub-Hook-ID", "109948940"),
            ],
            Normal = ("issue_comment.created.json", "444500041"),
        },
        Provider.Rally => new(provider)
        {
            // Unchecked, so every hostile body reaches the worker; the checked integration is the refused batch's.
            Settings = _ => new { statusMappings = Mappings("Defined", "In-Progress", "Completed", "Accepted") },
            CheckedSettings = new { subscriptionId = "59351" },
            FromAnotherSender = body =>
            [
                ("another subscription", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("\"subscription_id\": 59351", "\"subscription_id\": 59352", StringComparison.Ordinal))),
                ("no readable subscription", body[..(body.Length / 2)]),
                ("a JSON array", "[]"u8.ToArray()),
            ],
            Headers = _ => [new("User-Agent", "Rally Webhooks")],
            BodyDeliveryIds = [["message", "message_id"]],
            Normal = ("investment.updated.json", "a75e6aba-670c-4954-8c34-4cd3f7ffbc8f"),
        },
        Provider.Asana => new(provider)
        {
            Settings = api => new { statusMappings = Mappings("Completed", "Incomplete"), apiBaseUrl = api.ToString(), apiToken = ApiToken },
            SecretByHandshake = true,
            Sign = (body, _, secret, _) => [new("X-Hook-Signature", SenderSignatures.HexHmacSha256(secret, body))],
            SignatureHeaders = ["X-Hook-Signature", "X-Asana-Request-Signature"],
            HandshakeHeaders = ["X-Hook-Secret"],
            Normal = ("task_changed.completed.json", "1199170056173519"),
        },
        Provider.Salesforce => new(provider)
        {
            ContentType = "text/xml; charset=utf-8",
            Settings = _ => new { statusMappings = Mappings("Open - Not Contacted", "Working - Contacted", "Closed - Converted") },
            CheckedSettings = new { organizationId = "0123456789ABCDENNN" },
            FromAnotherSender = body =>
            [
                ("another organization", Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("0123456789ABCDENNN", "00D000000000062AAA", StringComparison.Ordinal))),
                ("no readable organization", body[..(body.Length / 3)]),
                ("JSON", PayloadFixtures.Read(Provider.Jira, "comment_created.json")),
            ],
            Headers = _ => [new("User-Agent", "Jakarta Commons-HttpClient/3.1"), new("SOAPAction", "\"\"")],
            Normal = ("outbound_message.lead.xml", "0123456789ABCDEEAE"),
        },
        Provider.Smartsheet => new(provider)
        {
            Settings = api => new { statusMappings = Mappings("Done", "In Progress"), apiBaseUrl = api.ToString(), apiToken = ApiToken, statusColumn = "Stage" },
            SigningSecret = Secret,
            Sign = (body, _, secret, _) => [new("Smartsheet-Hmac-SHA256", SenderSignatures.HexHmacSha256(secret, body))],
            SignatureHeaders = ["Smartsheet-Hmac-SHA256"],
            HandshakeHeaders = ["Smartsheet-Hook-Challenge"],
            Headers = _ => [new("User-Agent", "Smartsheet")],
            BodyDeliveryIds = [["nonce"]],
            Normal = ("event_callback.rows_updated.json", "6151780615131012"),
        },
        Provider.Trello => new(provider)
        {
            Settings = _ => new { statusMappings = Mappings("Chamados", "Chamados Realizados", "Basics", "Backlog") },
            SigningSecret = Secret,
            // Trello signs the body followed by the callback URL exactly as registered.
            Sign = (body, callbackUrl, secret, _) => [new("X-Trello-Webhook", SenderSignatures.Trello(secret, body, callbackUrl))],
            SignatureHeaders = ["X-Trello-Webhook"],
            SignsCallbackUrl = true,
            Headers = _ => [new("User-Agent", "Trello")],
            BodyDeliveryIds = [["action", "id"]],
            Normal = ("commentCard.json", "53582e2da0fac5676a714280"),
        },
        Provider.Standard => new(provider)
        {
            // Where a Standard Webhooks sender's events keep what the records show: the specification's contact example.
            Settings = _ => new
            {
                statusMappings = Mappings("active", "inactive"),
                mapping = new
                {
                    itemId = "/data/id",
                    types = new Dictionary<string, object>
                    {
                        ["contact.created"] = new { name = "/data/fullName", description = "/data/occupation", status = "/data/status" },
                        ["example.event"] = new { name = "/data/foo" },
                        ["response.completed"] = new { name = "/data/id" },
                    },
                },
            },
            SigningSecret = StandardSecret,
            WrongSecret = "whsec_" + Convert.ToBase64String(Encoding.ASCII.GetBytes("not-the-integration-secret-32byt")),
            // v1,base64(HMAC-SHA256(base64-decoded secret, "{id}.{timestamp}.{body}")), signed now (5 minutes' tolerance).
            Sign = (body, _, secret, messageId) =>
                [.. SenderSignatures.StandardHeaders(secret, messageId, DateTimeOffset.UtcNow, body).Select(header => new KeyValuePair<string, string>(header.Name, header.Value))],
            SignatureHeaders = ["webhook-signature"],
            Headers = _ => [new("User-Agent", "Svix-Webhooks/1.24")],
            Normal = ("contact.created.full.json", "1f81eb52-5198-4599-803e-771906343485"),
        },
        _ => throw new AssertionException(
            $"The hostile-input suite does not know how {provider} shapes and signs its requests: add it to {nameof(HostileSender)}.{nameof(For)}."),
    };

    /// <summary>The headers recorded with a fixture, less its signatures (the suite signs what it sends).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RecordedHeaders(string fixture) =>
        [.. PayloadFixtures.RecordedHeaders(Provider, fixture).Where(header => !SignatureHeaders.Contains(header.Key, StringComparer.OrdinalIgnoreCase))];

    /// <summary>
    /// The fixture with each delivery id it names (<see cref="BodyDeliveryIds"/>) replaced by a fresh value of the same
    /// length, so two requests never look like the sender's retry of one delivery.
    /// </summary>
    public byte[] WithFreshDeliveryId(byte[] body, int serial)
    {
        foreach (var path in BodyDeliveryIds)
        {
            if (FindString(body, path) is not { Length: > 0 } id)
            {
                continue;
            }
            var quoted = Encoding.UTF8.GetBytes($"\"{id}\"");
            var at = body.AsSpan().IndexOf(quoted);
            if (at < 0)
            {
                continue;
            }
            var suffix = serial.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
            var fresh = suffix.Length >= id.Length ? suffix[^id.Length..] : id[..(id.Length - suffix.Length)] + suffix;
            body = [.. body.AsSpan(0, at + 1), .. Encoding.UTF8.GetBytes(fresh), .. body.AsSpan(at + 1 + quoted.Length - 2)];
        }
        return body;
    }

    private static string? FindString(byte[] body, string[] path)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var element = document.RootElement;
            foreach (var name in path)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                {
                    return null;
                }
            }
            return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or an id that is not text (invalid UTF-8, a lone surrogate): nothing a reader could take as an id.
            return null;
        }
    }

    /// <summary>Each status the recordings carry mapped to a record status (which one does not matter here), so status changes apply.</summary>
    private static Dictionary<string, string> Mappings(params string[] statuses)
    {
        var targets = new[] { "new", "in_progress", "shipped", "triage" };
        return statuses.Select((status, i) => (status, target: targets[Math.Min(i, targets.Length - 1)])).ToDictionary(m => m.status, m => m.target);
    }

}
