using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Webhooks.Workers.Fetching;
using Webhooks.Workers.Providers.Asana;
using Webhooks.Workers.Providers.GitHub;
using Webhooks.Workers.Providers.Jira;
using Webhooks.Workers.Providers.Rally;
using Webhooks.Workers.Providers.Salesforce;
using Webhooks.Workers.Providers.Smartsheet;
using Webhooks.Workers.Providers.Standard;
using Webhooks.Workers.Providers.Trello;

namespace Webhooks.Workers.Providers;

public static class ProvidersExtensions
{
    /// <summary>One line per provider (and per fetcher, for senders whose events carry ids only). A provider without a parser fails its deliveries with a clear reason.</summary>
    public static IHostApplicationBuilder AddPayloadParsers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IPayloadParser, JiraPayloadParser>();
        builder.Services.AddSingleton<IPayloadParser, GitHubPayloadParser>();
        builder.Services.AddSingleton<IPayloadParser, RallyPayloadParser>();
        builder.Services.AddSingleton<IPayloadParser, SalesforcePayloadParser>();
        builder.Services.AddSingleton<IPayloadParser, TrelloPayloadParser>();
        builder.Services.AddSingleton<IPayloadParser, AsanaPayloadParser>();
        builder.Services.AddSingleton<IItemFetcher, AsanaItemFetcher>();
        builder.Services.AddSingleton<IPayloadParser, SmartsheetPayloadParser>();
        builder.Services.AddSingleton<IItemFetcher, SmartsheetItemFetcher>();
        builder.Services.AddSingleton<IPayloadParser, StandardPayloadParser>();
        builder.Services.AddOptions<SmartsheetOptions>().BindConfiguration(SmartsheetOptions.SectionName);
        builder.Services.AddSingleton<PayloadParsers>();
        builder.AddItemFetching();
        return builder;
    }
}
