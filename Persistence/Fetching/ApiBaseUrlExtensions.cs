using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Webhooks.Persistence.Fetching;

public static class ApiBaseUrlExtensions
{
    /// <summary>
    /// <see cref="ApiBaseUrlPolicy"/> with <c>Fetching:AllowedBaseUrls</c>, checked at start. The ingress's admin API and
    /// the workers both call it; a second call changes nothing.
    /// </summary>
    public static IHostApplicationBuilder AddApiBaseUrlPolicy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiBaseUrlOptions>()
            .BindConfiguration(ApiBaseUrlOptions.SectionName)
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApiBaseUrlOptions>, ApiBaseUrlOptionsValidator>());
        builder.Services.TryAddSingleton<ApiBaseUrlPolicy>();
        return builder;
    }
}
