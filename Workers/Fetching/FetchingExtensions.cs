using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Webhooks.Persistence.Fetching;

namespace Webhooks.Workers.Fetching;

public static class FetchingExtensions
{
    /// <summary>The fetch step and its HTTP client; the per-provider <see cref="IItemFetcher"/>s are registered with the parsers.</summary>
    public static IHostApplicationBuilder AddItemFetching(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<FetchOptions>()
            .BindConfiguration(FetchOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.AddApiBaseUrlPolicy();
        // Per-attempt timeouts are the pipeline's; this is only the backstop for one attempt that never ends.
        builder.Services.AddHttpClient(ProviderApi.HttpClientName, client => client.Timeout = TimeSpan.FromMinutes(2))
            .ConfigurePrimaryHttpMessageHandler(ProviderApi.CreateHandler);
        builder.Services.AddSingleton<ProviderApi>();
        builder.Services.AddScoped<ItemFetching>();
        return builder;
    }
}
