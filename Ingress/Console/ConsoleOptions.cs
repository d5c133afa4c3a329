using System.ComponentModel.DataAnnotations;

namespace Webhooks.Ingress.Console;

/// <summary>Settings of the operations console, section <c>Console</c> (environment: <c>Console__SessionLifetime</c> …). Checked at start.</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>A sign-in lasts this long, however active the operator is; then the key is asked again.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Wrong admin keys one address may present within <see cref="SignInFailureWindow"/>, at the sign-in and to the admin
    /// API together, before every sign-in and admin request from it is refused until the window ends.
    /// </summary>
    [Range(1, 1000)]
    public int SignInFailureLimit { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SignInFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// RabbitMQ's management API (e.g. <c>http://rabbitmq:15672</c>), where the overview reads each queue's depth and
    /// consumers. Unset, the overview says so and shows the rest. The ingress's own broker user may not read queues;
    /// give a user tagged <c>monitoring</c> (read-only) in <see cref="RabbitMqManagementUser"/>.
    /// </summary>
    [Url]
    public string? RabbitMqManagementUrl { get; set; }

    public string? RabbitMqManagementUser { get; set; }

    public string? RabbitMqManagementPassword { get; set; }

    /// <summary>How long the overview waits for the management API before showing the rest without it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RabbitMqManagementTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Seconds between reloads of the pages that refresh themselves (delivery log, a delivery, the overview, a bulk replay).</summary>
    [Range(1, 3600)]
    public int RefreshSeconds { get; set; } = 5;
}
