using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Webhooks.Ingress.Holding;
using Webhooks.Testing;

namespace Webhooks.Reliability.Tests;

/// <summary>The ingress in-process, on a test's database and vhost of the dedicated fault instances.</summary>
public sealed class FaultIngress(FaultStack stack, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<HoldingQueue>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Webhooks", FaultInstances.ConnectionStringAs(stack.ConnectionString, FaultInstances.IngressUser));
        builder.UseSetting("ConnectionStrings:Admin", stack.ConnectionString);
        builder.UseSetting("RabbitMqTransport:Host", FaultInstances.Host);
        builder.UseSetting("RabbitMqTransport:Port", FaultInstances.RabbitPort.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("RabbitMqTransport:VHost", stack.VirtualHost);
        builder.UseSetting("RabbitMqTransport:User", FaultInstances.IngressUser);
        builder.UseSetting("RabbitMqTransport:Pass", FaultInstances.IngressUser);
        builder.UseSetting("DataProtection:CertificatePath", TestCertificates.KeyRingPath);
        builder.UseSetting("Ingress:PublicBaseUrl", "https://webhooks.example.test");
        builder.UseSetting("Outbox:SweepInterval", "00:00:00.500");
        builder.UseSetting("Outbox:MinBackoff", "00:00:00.200");
        builder.UseSetting("Outbox:MaxBackoff", "00:00:01");
        builder.UseSetting("Outbox:SendTimeout", "00:00:02");
        builder.UseSetting("Holding:SendTimeout", "00:00:02");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
    }
}
