using Webhooks.Contracts;

namespace Webhooks.Persistence.Model;

/// <summary>One account's connection to one sending tool: a callback URL (its token) and a run-as user.</summary>
public sealed class Integration
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    /// <summary>The home product; the webhook may write any product its run-as user can write.</summary>
    public Guid ProductId { get; set; }
    public Provider Provider { get; set; }
    /// <summary>Integration version 1 or 2: a version-1 webhook never writes version-2 links, and back.</summary>
    public int Version { get; set; }
    public required string Name { get; set; }
    public bool Enabled { get; set; }
    /// <summary>SHA-256 of the token. The token itself is never stored.</summary>
    public required byte[] TokenHash { get; set; }
    public Guid RunAsUserId { get; set; }
    public Guid? TemplateId { get; set; }
    /// <summary>JSON: <see cref="IntegrationSettings"/>.</summary>
    public string Settings { get; set; } = "{}";
    /// <summary>
    /// Until then the ingress takes a signing secret from a sender's handshake (Asana) although the integration already
    /// has one; opened by an operator (<c>POST …/handshake-window</c>). Without it only the first secret is taken.
    /// </summary>
    public DateTimeOffset? HandshakeWindowUntil { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
