namespace Webhooks.Testing;

/// <summary>
/// What each program's broker user may do in a vhost, read from deploy/services/rabbitmq-permissions.txt (copied next to
/// the tests), the file deploy/services/start.sh grants on the real vhost: the tests' vhosts grant exactly the same.
/// </summary>
public static class BrokerPermissions
{
    public static BrokerPermission Ingress => All["ingress"];

    public static BrokerPermission Worker => All["worker"];

    /// <summary>The admin API's dead-letter user (the ingress's <c>DeadLetters:User</c>).</summary>
    public static BrokerPermission Operator => All["operator"];

    private static Dictionary<string, BrokerPermission> All { get; } = Read();

    private static Dictionary<string, BrokerPermission> Read()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "rabbitmq-permissions.txt");
        var permissions = new Dictionary<string, BrokerPermission>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 4)
            {
                throw new InvalidOperationException($"{path}: expected 'program configure write read', found: {line}");
            }
            permissions[fields[0]] = new BrokerPermission(fields[1], fields[2], fields[3]);
        }
        return permissions;
    }
}

/// <summary>RabbitMQ's configure, write and read permissions: regular expressions over exchange and queue names.</summary>
public sealed record BrokerPermission(string Configure, string Write, string Read);
