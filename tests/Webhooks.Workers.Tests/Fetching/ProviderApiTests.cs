using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Webhooks.Workers.Fetching;
using static Webhooks.Workers.Tests.Fetching.FakeProviderApi;

namespace Webhooks.Workers.Tests.Fetching;

/// <summary>How the workers call a sender's API: against a loopback fake that answers 429, 5xx, slowly, or 404.</summary>
public sealed class ProviderApiTests
{
    private const string Token = "secret-api-token-0123456789";
    private const string Task = """{"data":{"gid":"1","name":"Fetched name"}}""";
    private FakeProviderApi _fake = null!;

    [SetUp]
    public async Task Start_the_fake() => _fake = await StartAsync();

    [TearDown]
    public async Task Stop_the_fake() => await _fake.DisposeAsync();

    private ProviderApiSession Session(ProviderApi? api = null) => (api ?? Client()).OpenSession("asana", Guid.NewGuid(), _fake.BaseUrl, Token);

    [Test]
    public async Task Item_is_read_under_the_base_url_with_the_token_as_a_bearer_and_once_per_delivery()
    {
        _fake.On("tasks/1", Json(Task));
        var session = Session();

        var first = await session.GetAsync("tasks/1?opt_fields=name", CancellationToken.None);
        var second = await session.GetAsync("tasks/1?opt_fields=name", CancellationToken.None);

        Assert.That(first!.Value.GetProperty("data").GetProperty("name").GetString(), Is.EqualTo("Fetched name"));
        Assert.That(second!.Value.GetRawText(), Is.EqualTo(first.Value.GetRawText()));
        var request = _fake.Requests.Single();
        Assert.That((request.Path, request.Query, request.Authorization), Is.EqualTo(("tasks/1", "?opt_fields=name", $"Bearer {Token}")));
    }

    [Test]
    public async Task Too_many_requests_waits_the_Retry_After_then_reads_the_item()
    {
        _fake.On("tasks/1", Status(429, retryAfterSeconds: "1"), Json(Task));

        var item = await Session().GetAsync("tasks/1", CancellationToken.None);

        Assert.That(item, Is.Not.Null);
        var requests = _fake.Requests.ToArray();
        Assert.That(requests, Has.Length.EqualTo(2));
        Assert.That(requests[1].At - requests[0].At, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(950)), "the second call came before Retry-After allowed it");
    }

    [TestCase(429)]
    [TestCase(503)]
    [TestCase(408)]
    public void Retry_After_longer_than_the_limit_is_not_waited_out_in_place_but_fails_the_attempt_transiently(int status)
    {
        _fake.On("tasks/1", Status(status, retryAfterSeconds: "3600"));

        var failure = Assert.ThrowsAsync<ItemFetchException>(() => Session().GetAsync("tasks/1", CancellationToken.None));

        Assert.That(failure!.Message, Does.Contain($"{status}").And.Contain("Retry-After 3600"));
        Assert.That(failure.Permanent, Is.False, "the delivery's own retry comes back later");
        Assert.That(_fake.CountOf("tasks/1"), Is.EqualTo(1));
    }

    [Test]
    public async Task Server_errors_are_retried_with_backoff_until_the_item_is_read()
    {
        _fake.On("tasks/1", Status(503), Status(500), Json(Task));

        var item = await Session().GetAsync("tasks/1", CancellationToken.None);

        Assert.That(item, Is.Not.Null);
        Assert.That(_fake.CountOf("tasks/1"), Is.EqualTo(3));
    }

    [Test]
    public void Server_errors_past_the_retries_fail_transiently_without_the_token_in_the_message()
    {
        _fake.On("tasks/1", Status(502));

        var failure = Assert.ThrowsAsync<ItemFetchException>(() => Session(Client(retryCount: 2)).GetAsync("tasks/1", CancellationToken.None));

        Assert.That(failure!.Message, Does.Contain("asana API GET /api/tasks/1 answered 502"));
        Assert.That(failure.ToString(), Does.Not.Contain(Token));
        Assert.That(_fake.CountOf("tasks/1"), Is.EqualTo(3));
    }

    [Test]
    public async Task Attempt_that_times_out_is_retried()
    {
        _fake.On("tasks/1", Slow(TimeSpan.FromSeconds(10), Task), Json(Task));

        var item = await Session(Client(attemptTimeout: TimeSpan.FromMilliseconds(300))).GetAsync("tasks/1", CancellationToken.None);

        Assert.That(item, Is.Not.Null);
        Assert.That(_fake.CountOf("tasks/1"), Is.EqualTo(2));
    }

    [Test]
    public void Every_attempt_timing_out_fails_transiently_naming_the_timeout()
    {
        _fake.On("tasks/1", Slow(TimeSpan.FromSeconds(10), Task));

        var failure = Assert.ThrowsAsync<ItemFetchException>(() =>
            Session(Client(attemptTimeout: TimeSpan.FromMilliseconds(200), retryCount: 1)).GetAsync("tasks/1", CancellationToken.None));

        Assert.That(failure!.Message, Does.Contain("timed out after 2 attempts"));
        Assert.That(_fake.CountOf("tasks/1"), Is.EqualTo(2));
    }

    [Test]
    public async Task Item_gone_is_null_and_not_retried()
    {
        _fake.On("tasks/1", Status(404));

        var item = await Session().GetAsync("tasks/1", CancellationToken.None);

        Assert.That(item, Is.Null);
        Assert.That(_fake.CountOf("tasks/1"), Is.EqualTo(1));
    }

    [Test]
    public async Task Token_appears_in_no_log_line_even_at_trace_level()
    {
        _fake.On("tasks/1", Status(500), Json(Task));
        await using var worker = WorkerWithCapturedLogs();

        await worker.Services.GetRequiredService<ProviderApi>().OpenSession("asana", Guid.NewGuid(), _fake.BaseUrl, Token).GetAsync("tasks/1", CancellationToken.None);

        var records = worker.Services.GetFakeLogCollector().GetSnapshot();
        Assert.That(records.Where(r => r.Category?.StartsWith("System.Net.Http.HttpClient.provider-api", StringComparison.Ordinal) == true), Is.Not.Empty,
            "the HTTP client's own logging was expected to write something");
        Assert.That(records.Any(r => r.Scopes.Count > 0), Is.True, "the HTTP client's lines are written in its request scope");
        Assert.That(records.Select(TelemetryText.Of), Has.None.Contains(Token));
    }

    [Test]
    public async Task Refused_connection_fails_for_good_after_its_retries_naming_no_address_and_logging_it_without_the_token()
    {
        var closed = new Uri("http://127.0.0.1:9/api/");
        var integrationId = Guid.NewGuid();
        await using var worker = WorkerWithCapturedLogs();

        var failure = Assert.ThrowsAsync<ItemFetchException>(() =>
            worker.Services.GetRequiredService<ProviderApi>().OpenSession("smartsheet", integrationId, closed, Token).GetAsync("sheets/1/rows/2", CancellationToken.None));

        Assert.That((failure!.Message, failure.Permanent),
            Is.EqualTo(("Could not connect to the smartsheet API (smartsheet API GET /api/sheets/1/rows/2) after 2 attempts.", true)));
        Assert.That(failure.ToString(), Does.Not.Contain(Token).And.Not.Contain("127.0.0.1").And.Not.Contain(":9").And.Not.Contain("refused"));
        var lines = worker.Services.GetFakeLogCollector().GetSnapshot().Select(TelemetryText.Of).ToList();
        Assert.That(lines, Has.Some.Contain(integrationId.ToString()).And.Contain("127.0.0.1"), "the log keeps what the delivery does not");
        Assert.That(lines, Has.None.Contain(Token));
    }

    [Test]
    public void Connection_dropped_mid_answer_is_retried_then_fails_transiently_naming_no_socket_error()
    {
        _fake.On("tasks/1", Dropped());

        var failure = Assert.ThrowsAsync<ItemFetchException>(() => Session(Client(retryCount: 1)).GetAsync("tasks/1", CancellationToken.None));

        Assert.That((failure!.ToString().Contains("The connection to the asana API broke (asana API GET /api/tasks/1) after 2 attempts.", StringComparison.Ordinal), failure.Permanent, failure.InnerException),
            Is.EqualTo((true, false, (Exception?)null)));
        Assert.That(_fake.CountOf("tasks/1"), Is.EqualTo(2));
    }

    [Test]
    public void Redirect_is_not_followed_and_fails_for_good()
    {
        _fake.On("tasks/1", Redirect(new Uri(_fake.BaseUrl, "elsewhere").ToString())).On("elsewhere", Json(Task));

        var failure = Assert.ThrowsAsync<ItemFetchException>(() => Session().GetAsync("tasks/1", CancellationToken.None));

        Assert.That((failure!.Message, failure.Permanent), Is.EqualTo(("asana API GET /api/tasks/1 answered 302, a redirect; redirects are not followed (check settings.apiBaseUrl).", true)));
        Assert.That(_fake.Requests.Select(r => r.Path), Is.EqualTo(new[] { "tasks/1" }), "the token never went to the redirect's target");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Answer_over_one_MiB_fails_for_good_without_being_read_to_its_end(bool chunked)
    {
        _fake.On("tasks/1", Big(64 * 1024 * 1024, chunked));

        var failure = Assert.ThrowsAsync<ItemFetchException>(() => Session().GetAsync("tasks/1", CancellationToken.None));

        Assert.That((failure!.Message, failure.Permanent), Is.EqualTo(("asana API GET /api/tasks/1 answered more than 1 MiB; not read.", true)));
        Assert.That(_fake.CountOf("tasks/1"), Is.EqualTo(1));
    }

    [Test]
    public async Task Answer_of_exactly_one_MiB_is_read()
    {
        var json = "{\"data\":\"" + new string('x', ProviderApi.MaxResponseBytes - 11) + "\"}";
        Assert.That(json, Has.Length.EqualTo(ProviderApi.MaxResponseBytes));
        _fake.On("tasks/1", Json(json));

        var item = await Session().GetAsync("tasks/1", CancellationToken.None);

        Assert.That(item!.Value.GetProperty("data").GetString(), Has.Length.EqualTo(ProviderApi.MaxResponseBytes - 11));
    }

    [TestCase(401)]
    [TestCase(403)]
    [TestCase(400)]
    public void Client_errors_fail_for_good_without_retrying(int status)
    {
        _fake.On("tasks/1", Status(status));

        var failure = Assert.ThrowsAsync<ItemFetchException>(() => Session().GetAsync("tasks/1", CancellationToken.None));

        Assert.That((failure!.Message, failure.Permanent), Is.EqualTo(($"asana API GET /api/tasks/1 answered {status}.", true)));
        Assert.That(_fake.CountOf("tasks/1"), Is.EqualTo(1));
    }

    [Test]
    public async Task One_integration_has_at_most_its_limit_of_calls_out_at_once_and_another_is_not_held_up()
    {
        var inFlight = 0;
        var most = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task Held()
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            await release.Task;
            Interlocked.Decrement(ref inFlight);
        }
        for (var i = 0; i < 6; i++)
        {
            _fake.On($"tasks/{i}", While(Held, Task));
        }
        _fake.On("other/1", Json(Task));
        var api = Client(maxConcurrent: 2);
        var session = api.OpenSession("asana", Guid.NewGuid(), _fake.BaseUrl, Token);

        var reads = Enumerable.Range(0, 6).Select(i => session.GetAsync($"tasks/{i}", CancellationToken.None)).ToList();
        await Eventually.HoldsAsync("two calls in flight", () => Volatile.Read(ref inFlight) == 2, TimeSpan.FromSeconds(10));
        var other = await api.OpenSession("asana", Guid.NewGuid(), _fake.BaseUrl, Token).GetAsync("other/1", CancellationToken.None);
        release.SetResult();
        await System.Threading.Tasks.Task.WhenAll(reads);

        Assert.That(other, Is.Not.Null, "another integration's call went out while this one's were all held");
        Assert.That(most, Is.EqualTo(2));
        Assert.That(_fake.Requests.Count(r => r.Path.StartsWith("tasks/", StringComparison.Ordinal)), Is.EqualTo(6));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>
    /// The worker host as the program builds it (its log filters included), unstarted, with every category at Trace and
    /// every record kept, and one retry 20 ms apart.
    /// </summary>
    private static WebApplication WorkerWithCapturedLogs() =>
        WorkerHost.Build(
            WorkerApplication.Arguments("--Logging:LogLevel:Default=Trace", "--Fetching:RetryCount=1", "--Fetching:RetryBaseDelay=00:00:00.020"),
            configure: builder => builder.Logging.AddFakeLogging());
}
