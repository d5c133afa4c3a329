namespace Webhooks.Persistence.Model;

/// <summary>One element of the Data Protection key ring (see <see cref="Secrets.PostgresXmlRepository"/>).</summary>
public sealed class DataProtectionKey
{
    public int Id { get; set; }
    public required string FriendlyName { get; set; }
    public required string Xml { get; set; }
}
