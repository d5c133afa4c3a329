using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Webhooks.Workers;

public static class WorkerOptionsExtensions
{
    public static IHostApplicationBuilder AddWorkerOptions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WorkerOptions>()
            .BindConfiguration(WorkerOptions.SectionName)
            .Configure<IConfiguration>(ReadProviders)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>();
        return builder;
    }

    /// <summary>
    /// <c>Workers:Providers</c> is either one comma-separated value (handy in an environment variable) or a list
    /// (<c>Workers:Providers:0</c>, …), which the binder alone cannot both read.
    /// </summary>
    private static void ReadProviders(WorkerOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection($"{WorkerOptions.SectionName}:{nameof(WorkerOptions.Providers)}");
        var values = section.Value is { Length: > 0 } single ? [single] : section.GetChildren().Select(c => c.Value ?? "");
        options.Providers.Clear();
        foreach (var name in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            options.Providers.Add(name.ToLowerInvariant());
        }
    }
}
