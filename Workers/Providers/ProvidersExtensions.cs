using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Webhooks.Workers.Providers.Jira;

namespace Webhooks.Workers.Providers;

public static class ProvidersExtensions
{
    /// <summary>One line per provider. A provider without a parser fails its deliveries with a clear reason.</summary>
    public static IHostApplicationBuilder AddPayloadParsers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IPayloadParser, JiraPayloadParser>();
        builder.Services.AddSingleton<PayloadParsers>();
        return builder;
    }
}
