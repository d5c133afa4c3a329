using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Webhooks.Persistence;
using Webhooks.Persistence.Operations;
using Webhooks.Persistence.Operations.DeadLetters;
using Webhooks.Workers.Bus;

namespace Webhooks.Workers.Commands;

/// <summary>
/// What a verb runs with: its output, and configuration read exactly as the worker host reads it (appsettings.json in
/// the content root, environment variables, <c>--Section:Key=value</c> arguments: the same builder) and bound to the
/// same options classes (MassTransit's <see cref="RabbitMqTransportOptions"/> from <c>RabbitMqTransport</c>).
/// </summary>
public sealed class CommandEnvironment(string[] configurationArguments, TextWriter output, TextWriter error, TextReader? confirm)
{
    private const string BrokerSettingsHint =
        "Check RabbitMqTransport__Host, RabbitMqTransport__Port, RabbitMqTransport__VHost, RabbitMqTransport__User and RabbitMqTransport__Pass " +
        "(or --RabbitMqTransport:Host=… arguments); deploy/services/env.sh has the local ones.";

    /// <summary>The <c>--Section:Key=value</c> arguments, handed to the host (or a verb's builder) as its command-line configuration.</summary>
    public string[] ConfigurationArguments { get; } = configurationArguments;

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>Where purge reads its y/N answer: standard input, a terminal or a pipe (<c>echo y | … purge</c>); null: none.</summary>
    public TextReader? Confirm { get; } = confirm;

    /// <summary>A builder with the host's configuration sources; verbs add only what they use.</summary>
    public WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder(ConfigurationArguments);
        // A verb reports on its own output; the host's console log lines would only interleave with it.
        builder.Logging.ClearProviders();
        return builder;
    }

    /// <summary>Runs <paramref name="work"/> with a DbContext on <c>ConnectionStrings:Webhooks</c>.</summary>
    public async Task<T> WithDatabaseAsync<T>(Func<WebhooksDbContext, Task<T>> work)
    {
        await using var app = Build(broker: false);
        await using var scope = app.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<WebhooksDbContext>());
    }

    /// <summary>Runs <paramref name="work"/> on the error queues (as <c>RabbitMqTransport</c>'s user) and the database.</summary>
    public async Task<T> WithDeadLettersAsync<T>(Func<DeadLetterQueues, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var app = Build(broker: true);
        await using var scope = app.Services.CreateAsyncScope();
        await using var broker = await ErrorQueueBroker.ConnectAsync(BrokerOptions(app.Services), BrokerSettingsHint, cancellationToken);
        return await work(new DeadLetterQueues(broker, scope.ServiceProvider.GetRequiredService<WebhooksDbContext>()));
    }

    /// <summary>The broker the verbs connect to, bound as the host binds it.</summary>
    public RabbitMqTransportOptions BrokerOptions()
    {
        var builder = CreateBuilder();
        builder.AddRabbitMqTransportOptions();
        using var app = builder.Build();
        return BrokerOptions(app.Services);
    }

    private static RabbitMqTransportOptions BrokerOptions(IServiceProvider services) => services.GetRequiredService<IOptions<RabbitMqTransportOptions>>().Value;

    /// <summary>The database every verb works on; without it the verb fails telling the operator where to set it.</summary>
    public static string RequireConnectionString(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(PersistenceExtensions.ConnectionStringName);
        return string.IsNullOrWhiteSpace(connectionString)
            ? throw new OperationFailedException(
                $"Missing setting ConnectionStrings:{PersistenceExtensions.ConnectionStringName}: set ConnectionStrings__{PersistenceExtensions.ConnectionStringName} " +
                "(deploy/services/env.sh has the local one) or pass --ConnectionStrings:Webhooks=….")
            : connectionString;
    }

    /// <summary>What to tell the operator when PostgreSQL refused or could not be reached.</summary>
    public string DatabaseUnreachable(Exception e)
    {
        var connectionString = CreateBuilder().Configuration.GetConnectionString(PersistenceExtensions.ConnectionStringName);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL is not reachable at {builder.Host}:{builder.Port}, database '{builder.Database}', user '{builder.Username}': {e.Message}. " +
            "Check ConnectionStrings__Webhooks (or --ConnectionStrings:Webhooks=…); deploy/services/env.sh has the local one.";
    }

    private WebApplication Build(bool broker)
    {
        var builder = CreateBuilder();
        var connectionString = RequireConnectionString(builder.Configuration);
        builder.Services.AddDbContext<WebhooksDbContext>(options => options.UseNpgsql(connectionString));
        if (broker)
        {
            builder.AddRabbitMqTransportOptions();
        }
        return builder.Build();
    }
}
