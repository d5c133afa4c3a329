using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Webhooks.Reliability.Tests;

/// <summary>A real worker process (the built Webhooks.Workers.dll), so a test can SIGKILL it mid-burst.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly int _healthPort;
    private readonly StreamWriter _log;

    private WorkerProcess(Process process, int healthPort, StreamWriter log, string logPath)
    {
        _process = process;
        _healthPort = healthPort;
        _log = log;
        LogPath = logPath;
    }

    public string LogPath { get; }

    public static string DllPath { get; } = typeof(WorkerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "WorkersDll").Value!;

    /// <summary>Starts a worker and waits (bounded) until its readiness answers 200.</summary>
    public static async Task<WorkerProcess> StartAsync(FaultStack stack, IReadOnlyDictionary<string, string>? settings = null)
    {
        if (!File.Exists(DllPath))
        {
            throw new FileNotFoundException("The worker is not built; build tests/Webhooks.Reliability.Tests (it builds Workers too).", DllPath);
        }
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(DllPath)!,
        };
        start.ArgumentList.Add(DllPath);
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Webhooks"] = FaultInstances.ConnectionStringAs(stack.ConnectionString, FaultInstances.WorkerUser),
            ["RabbitMqTransport__Host"] = FaultInstances.Host,
            ["RabbitMqTransport__Port"] = FaultInstances.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RabbitMqTransport__VHost"] = stack.VirtualHost,
            ["RabbitMqTransport__User"] = FaultInstances.WorkerUser,
            ["RabbitMqTransport__Pass"] = FaultInstances.WorkerUser,
            ["DataProtection__CertificatePath"] = TestCertificates.KeyRingPath,
            ["Workers__HealthPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Workers__Providers"] = "jira",
            ["Workers__RetryMaxInterval"] = "00:00:02",
            ["Holding__RetryDelay"] = "00:00:00.500",
            ["MASSTRANSIT_USAGE_TELEMETRY"] = "false",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Webhooks.Workers.Holding"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var logPath = Path.Combine(Path.GetTempPath(), $"webhooks-faults-worker-{Guid.NewGuid():N}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var worker = new WorkerProcess(process, port, log, logPath);
        var started = Stopwatch.GetTimestamp();
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        TestContext.Progress.WriteLine($"worker ready in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return worker;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The test is done with this worker.
            }
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.GetAsync($"the worker to be ready (log: {LogPath})", async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The worker exited with {_process.ExitCode} before it was ready; log: {LogPath}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{_healthPort}/health/ready"));
                return response.StatusCode.ToString();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return "not listening yet";
            }
        }, status => status == nameof(HttpStatusCode.OK), within);
    }

    /// <summary>SIGKILL: no graceful stop, whatever was in flight is cut off.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM and wait for the graceful stop.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
