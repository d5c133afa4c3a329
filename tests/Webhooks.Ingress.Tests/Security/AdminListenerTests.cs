using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Webhooks.Contracts;

namespace Webhooks.Ingress.Tests.Security;

/// <summary>
/// <c>Ingress:AdminPort</c>: on a real Kestrel with a public and an internal listener, the admin API and its OpenAPI
/// document answer only on the internal one, and the public one answers alike whatever key is presented.
/// </summary>
[NonParallelizable]
public sealed class AdminListenerTests : IngressFixture
{
    private readonly int _publicPort = FreePort();
    private readonly int _adminPort = FreePort();

    protected override string Urls => $"http://127.0.0.1:{_publicPort};http://127.0.0.1:{_adminPort}";

    protected override void Configure(IWebHostBuilder web) =>
        web.UseSetting("Ingress:AdminPort", _adminPort.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [OneTimeSetUp]
    public void Both_listeners_are_up() => Assert.That(Addresses, Has.Count.EqualTo(2), string.Join(", ", Addresses));

    [Test]
    public async Task Admin_API_answers_only_on_the_admin_port_whatever_the_Host_header_says()
    {
        using var http = KeyedClient(IngressApplication.AdminKey);
        using var onAdminPort = KeyedClient(IngressApplication.AdminKey, _adminPort);
        var integration = await new AdminClient(onAdminPort).SeedAsync("jira");
        var path = $"/api/v1/admin/integrations/{integration.IntegrationId}";

        using var onAdmin = await http.GetAsync($"http://127.0.0.1:{_adminPort}{path}");
        using var onPublic = await http.GetAsync($"http://127.0.0.1:{_publicPort}{path}");
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_publicPort}{path}");
        spoofed.Headers.Host = $"127.0.0.1:{_adminPort}";
        using var onPublicSpoofed = await http.SendAsync(spoofed);
        using var webhook = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
        webhook.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var webhookOnPublic = await http.PostAsync($"http://127.0.0.1:{_publicPort}{integration.WebhookPath}", webhook);

        Assert.Multiple(() =>
        {
            Assert.That(onAdmin.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(onPublic.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(onPublicSpoofed.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(webhookOnPublic.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    /// <summary>Regression: the key was checked before the port, so the public port answered 401 to a wrong key and 404 to the right one.</summary>
    [TestCase("/api/v1/admin/accounts", "GET")]
    [TestCase("/api/v1/admin/accounts", "POST")]
    [TestCase("/openapi/v1.json", "GET")]
    public async Task Public_port_answers_the_same_404_to_no_key_a_wrong_key_and_the_right_key(string path, string method)
    {
        var answers = new List<(HttpStatusCode Status, string Headers, string Body)>();
        foreach (var key in new[] { null, "wrong-key-of-the-same-length-as-the-real-one!", IngressApplication.AdminKey })
        {
            using var http = KeyedClient(key);
            using var request = new HttpRequestMessage(new HttpMethod(method), $"http://127.0.0.1:{_publicPort}{path}");
            if (method == "POST")
            {
                request.Content = AdminClient.Json("""{"name":"Oracle"}""");
            }
            using var response = await http.SendAsync(request);
            answers.Add((response.StatusCode, string.Join(";", response.Headers.Where(h => h.Key != "Date").Select(h => $"{h.Key}={string.Join(',', h.Value)}")),
                await response.Content.ReadAsStringAsync()));
        }

        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.NotFound), string.Join(" | ", answers));
            Assert.That(answers.Select(a => a.Headers).Distinct().Count(), Is.EqualTo(1), "no header tells the keys apart");
            Assert.That(answers.Select(a => a.Body).Distinct().Count(), Is.EqualTo(1), "no body tells the keys apart");
        });
    }

    [Test]
    public async Task OpenApi_document_is_served_on_the_admin_port_with_the_key_only()
    {
        using var anonymous = KeyedClient(null);
        using var wrongKey = KeyedClient("wrong-key-of-the-same-length-as-the-real-one!");
        using var withKey = KeyedClient(IngressApplication.AdminKey);
        var url = $"http://127.0.0.1:{_adminPort}/openapi/v1.json";

        using var withoutKeyAnswer = await anonymous.GetAsync(url);
        using var wrongKeyAnswer = await wrongKey.GetAsync(url);
        using var withKeyAnswer = await withKey.GetAsync(url);

        Assert.Multiple(async () =>
        {
            Assert.That(withoutKeyAnswer.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(wrongKeyAnswer.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(withKeyAnswer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await withKeyAnswer.Content.ReadAsStringAsync(), Does.Contain("/api/v1/admin/integrations/{id}"));
        });
    }

    [Test]
    public async Task Readiness_on_the_public_port_gives_each_checks_status_without_its_description()
    {
        using var http = KeyedClient(null);

        var onPublic = await ReadyChecksAsync(http, _publicPort);
        var onAdmin = await ReadyChecksAsync(http, _adminPort);

        Assert.Multiple(() =>
        {
            Assert.That(onPublic.Select(c => c.Name), Is.EquivalentTo(new[] { "broker", "database", "directory", "outbox" }));
            Assert.That(onPublic.Select(c => c.Status), Is.All.EqualTo("Healthy"), "probes still see which check failed");
            Assert.That(onPublic.Select(c => c.Description), Is.All.Null, "no backlog or integration count for strangers");
            Assert.That(onAdmin.Single(c => c.Name == "outbox").Description, Does.Contain("deliveries waiting"), "operators keep the detail");
            Assert.That(onAdmin.Single(c => c.Name == "directory").Description, Does.EndWith("integrations"));
        });
    }

    [Test]
    public async Task Readiness_answers_HEAD_with_its_status_and_no_body()
    {
        // Some load balancers probe with HEAD.
        using var http = KeyedClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Head, $"http://127.0.0.1:{_publicPort}/health/ready");

        using var response = await http.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
    }

    private static async Task<List<(string Name, string? Status, string? Description)>> ReadyChecksAsync(HttpClient http, int port)
    {
        using var ready = await http.GetAsync($"http://127.0.0.1:{port}/health/ready");
        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"ready on port {port}");
        using var report = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        return report.RootElement.GetProperty("checks").EnumerateObject()
            .Select(c => (c.Name, c.Value.GetProperty("status").GetString(),
                c.Value.TryGetProperty("description", out var description) ? description.GetString() : null))
            .ToList();
    }

    private static HttpClient KeyedClient(string? key, int? port = null)
    {
        var http = new HttpClient();
        if (port is { } listener)
        {
            http.BaseAddress = new Uri($"http://127.0.0.1:{listener}");
        }
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return http;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
