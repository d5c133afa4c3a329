using System.Globalization;

namespace Webhooks.Reliability.Tests;

/// <summary>The ingress in-process, on a test's database and vhost of the dedicated fault instances.</summary>
public sealed class FaultIngress(FaultStack stack, IReadOnlyDictionary<string, string>? settings = null) : TestIngress(SettingsFor(stack, settings))
{
    private static Dictionary<string, string?> SettingsFor(FaultStack stack, IReadOnlyDictionary<string, string>? overrides)
    {
        // No admin API unless a test gives it a key (and the fault instances' dead-letter user).
        var settings = Settings(stack.ConnectionString, stack.VirtualHost, adminKey: "");
        settings["ConnectionStrings:Webhooks"] = FaultInstances.ConnectionStringAs(stack.ConnectionString, FaultInstances.IngressUser);
        settings["RabbitMqTransport:Host"] = FaultInstances.Host;
        settings["RabbitMqTransport:Port"] = FaultInstances.RabbitPort.ToString(CultureInfo.InvariantCulture);
        settings["RabbitMqTransport:User"] = FaultInstances.IngressUser;
        settings["RabbitMqTransport:Pass"] = FaultInstances.IngressUser;
        settings["Holding:SendTimeout"] = "00:00:02";
        settings["Logging:LogLevel:Default"] = "Warning";
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }
        return settings;
    }
}
