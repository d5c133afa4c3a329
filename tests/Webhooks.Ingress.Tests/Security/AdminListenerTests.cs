using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Contracts;
using Webhooks.Testing;

namespace Webhooks.Ingress.Tests.Security;

/// <summary><c>Ingress:AdminPort</c>: on a real Kestrel with a public and an internal listener, the admin API answers only on the internal one.</summary>
[NonParallelizable]
public sealed class AdminListenerTests
{
    [Test]
    public async Task Admin_API_answers_only_on_the_admin_port_whatever_the_Host_header_says()
    {
        var publicPort = FreePort();
        var adminPort = FreePort();
        await using var app = new IngressApplication(configure: web => web
            .UseSetting("urls", $"http://127.0.0.1:{publicPort};http://127.0.0.1:{adminPort}")
            .UseSetting("Ingress:AdminPort", adminPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        app.UseKestrel();
        app.StartServer();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Assert.That(addresses, Has.Count.EqualTo(2), string.Join(", ", addresses));
        var integration = await app.CreateIntegrationAsync(Provider.Jira);

        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", IngressApplication.AdminKey);
        var path = $"/api/v1/admin/integrations/{integration.Id}";

        using var onAdmin = await http.GetAsync($"http://127.0.0.1:{adminPort}{path}");
        using var onPublic = await http.GetAsync($"http://127.0.0.1:{publicPort}{path}");
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{publicPort}{path}");
        spoofed.Headers.Host = $"127.0.0.1:{adminPort}";
        using var onPublicSpoofed = await http.SendAsync(spoofed);
        using var webhook = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json"));
        webhook.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var webhookOnPublic = await http.PostAsync($"http://127.0.0.1:{publicPort}{integration.Path}", webhook);

        Assert.Multiple(() =>
        {
            Assert.That(onAdmin.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(onPublic.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(onPublicSpoofed.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(webhookOnPublic.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
