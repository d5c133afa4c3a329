namespace Webhooks.Testing;

/// <summary>A RabbitMQ user the programs connect as.</summary>
public sealed record BrokerUser(string Name, string Password);
