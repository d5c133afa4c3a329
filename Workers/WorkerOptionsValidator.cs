using Microsoft.Extensions.Options;
using Webhooks.Contracts;

namespace Webhooks.Workers;

/// <summary>What data annotations cannot say: every provider name is known, and retry intervals are ordered.</summary>
internal sealed class WorkerOptionsValidator : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var failures = new List<string>();
        var unknown = options.Providers.Where(p => !ProviderNames.TryParse(p, out _)).ToList();
        if (unknown.Count > 0)
        {
            failures.Add($"Workers:Providers: unknown provider(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; known: {ProviderNames.Known}.");
        }
        if (options.RetryMaxInterval < options.RetryMinInterval)
        {
            failures.Add("Workers:RetryMaxInterval must not be shorter than Workers:RetryMinInterval.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
