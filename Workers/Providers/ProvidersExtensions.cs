using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Providers.Asana;
using Webhooks.Workers.Providers.Jira;
using Webhooks.Workers.Providers.Smartsheet;

namespace Webhooks.Workers.Providers;

public static class ProvidersExtensions
{
    /// <summary>One line per provider (and per fetcher, for senders whose events carry ids only). A provider without a parser fails its deliveries with a clear reason.</summary>
    public static IHostApplicationBuilder AddPayloadParsers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IPayloadParser, JiraPayloadParser>();
        builder.Services.AddSingleton<IPayloadParser, AsanaPayloadParser>();
        builder.Services.AddSingleton<IItemFetcher, AsanaItemFetcher>();
        builder.Services.AddSingleton<IPayloadParser, SmartsheetPayloadParser>();
        builder.Services.AddSingleton<IItemFetcher, SmartsheetItemFetcher>();
        builder.Services.AddOptions<SmartsheetOptions>().BindConfiguration(SmartsheetOptions.SectionName);
        builder.Services.AddSingleton<PayloadParsers>();
        builder.AddItemFetching();
        return builder;
    }
}
