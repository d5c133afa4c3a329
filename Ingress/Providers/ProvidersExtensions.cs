using System.Collections.Frozen;
using Webhooks.Contracts;
using Webhooks.Ingress.Providers.Asana;
using Webhooks.Ingress.Providers.GitHub;
using Webhooks.Ingress.Providers.Jira;
using Webhooks.Ingress.Providers.Rally;
using Webhooks.Ingress.Providers.Salesforce;
using Webhooks.Ingress.Providers.Smartsheet;
using Webhooks.Ingress.Providers.Standard;
using Webhooks.Ingress.Providers.Trello;

namespace Webhooks.Ingress.Providers;

public static class ProvidersExtensions
{
    /// <summary>One line per sender. Adding a sender is a folder and a line here.</summary>
    public static WebApplicationBuilder AddProviders(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IProviderReceiver, JiraReceiver>();
        builder.Services.AddSingleton<IProviderReceiver, GitHubReceiver>();
        builder.Services.AddSingleton<IProviderReceiver, RallyReceiver>();
        builder.Services.AddSingleton<IProviderReceiver, AsanaReceiver>();
        builder.Services.AddSingleton<IProviderReceiver, SalesforceReceiver>();
        builder.Services.AddSingleton<IProviderReceiver, SmartsheetReceiver>();
        builder.Services.AddSingleton<IProviderReceiver, TrelloReceiver>();
        builder.Services.AddSingleton<IProviderReceiver, StandardReceiver>();
        builder.Services.AddSingleton(services =>
            services.GetServices<IProviderReceiver>().ToFrozenDictionary(receiver => receiver.Provider));
        return builder;
    }
}
