using Microsoft.Extensions.Configuration;
using Webhooks.Persistence;
using Webhooks.Workers.Bus;

namespace Webhooks.Workers.DeadLetters;

/// <summary>
/// Where the operator commands connect: the worker's own configuration (<c>RabbitMqTransport:*</c>,
/// <c>ConnectionStrings:Webhooks</c>), from environment variables, appsettings or <c>--Section:Key=value</c> arguments.
/// Defaults are MassTransit's (localhost:5672, vhost "/", guest).
/// </summary>
public sealed record OperatorSettings(string Host, int Port, string VirtualHost, string User, string Password, string? ConnectionString)
{
    public static OperatorSettings From(IConfiguration configuration)
    {
        var rabbit = configuration.GetSection(BusExtensions.RabbitMqSectionName);
        var port = rabbit["Port"] is { Length: > 0 } text
            ? int.TryParse(text, out var parsed) ? parsed : throw new CommandFailedException($"RabbitMqTransport:Port '{text}' is not a number (environment: RabbitMqTransport__Port).")
            : 5672;
        return new OperatorSettings(
            Host: rabbit["Host"] is { Length: > 0 } host ? host : "localhost",
            Port: port,
            VirtualHost: rabbit["VHost"] is { Length: > 0 } vhost ? vhost : "/",
            User: rabbit["User"] is { Length: > 0 } user ? user : "guest",
            Password: rabbit["Pass"] is { Length: > 0 } pass ? pass : "guest",
            ConnectionString: configuration.GetConnectionString(PersistenceExtensions.ConnectionStringName) is { Length: > 0 } cs ? cs : null);
    }

    public string RequireConnectionString() => ConnectionString ?? throw new CommandFailedException(
        $"Missing setting ConnectionStrings:{PersistenceExtensions.ConnectionStringName}: set ConnectionStrings__{PersistenceExtensions.ConnectionStringName} " +
        "(deploy/services/env.sh has the local one) or pass --ConnectionStrings:Webhooks=….");

    public string DescribeBroker() => $"{Host}:{Port}, vhost '{VirtualHost}', user '{User}'";

    public const string BrokerSettingsHint =
        "Check RabbitMqTransport__Host, RabbitMqTransport__Port, RabbitMqTransport__VHost, RabbitMqTransport__User and RabbitMqTransport__Pass " +
        "(or --RabbitMqTransport:Host=… arguments); deploy/services/env.sh has the local ones.";
}
