using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Ingress.Telemetry;
using Webhooks.Ingress.Webhook;
using Webhooks.Testing;

namespace Webhooks.EndToEnd.Tests;

/// <summary>
/// The ingress program in-process. Its entry type is named through <see cref="IngressTelemetry"/>: both programs
/// define a top-level <c>Program</c>, and this assembly references both.
/// </summary>
public sealed class IngressHost(string connectionString, string virtualHost, Action<IWebHostBuilder>? configure = null)
    : WebApplicationFactory<IngressTelemetry>
{
    public const string AdminKey = "end-to-end-admin-key-0123456789abcdef";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // As deploy/run.sh runs it: the webhook path on the ingress role and broker user, the admin API as the owner.
        builder.UseSetting("ConnectionStrings:Webhooks", TestServices.ConnectionAs(connectionString, TestServices.IngressRole));
        builder.UseSetting("ConnectionStrings:Admin", connectionString);
        builder.UseSetting("RabbitMqTransport:Host", TestServices.RabbitHost);
        builder.UseSetting("RabbitMqTransport:Port", TestServices.RabbitPort.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("RabbitMqTransport:VHost", virtualHost);
        builder.UseSetting("RabbitMqTransport:User", TestServices.IngressBrokerUser.Name);
        builder.UseSetting("RabbitMqTransport:Pass", TestServices.IngressBrokerUser.Password);
        builder.UseSetting("DataProtection:CertificatePath", TestCertificates.KeyRingPath);
        builder.UseSetting("Ingress:AdminKey", AdminKey);
        builder.UseSetting("DeadLetters:User", TestServices.OperatorBrokerUser.Name);
        builder.UseSetting("DeadLetters:Pass", TestServices.OperatorBrokerUser.Password);
        builder.UseSetting("Ingress:PublicBaseUrl", "https://webhooks.example.test");
        builder.UseSetting("Outbox:SweepInterval", "00:00:00.500");
        builder.UseSetting("Outbox:MinBackoff", "00:00:00.200");
        builder.UseSetting("Outbox:MaxBackoff", "00:00:01");
        builder.UseSetting("Outbox:SendTimeout", "00:00:02");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        configure?.Invoke(builder);
    }

    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    /// <summary>Waits until the token directory has loaded, so the first webhook is not answered 503.</summary>
    public async Task StartAsync()
    {
        var integrationsByToken = Services.GetRequiredService<IntegrationsByToken>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!integrationsByToken.IsLoaded)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The ingress's integration directory did not load within 30 s.");
            }
            await Task.Delay(50);
        }
    }
}
