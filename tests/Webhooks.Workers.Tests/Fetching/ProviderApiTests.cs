using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Webhooks.Testing;
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

    private ProviderApiSession Session(ProviderApi? api = null) => (api ?? Client()).OpenSession("asana", _fake.BaseUrl, Token);

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

    [Test]
    public void Retry_After_longer_than_the_limit_is_not_waited_out_in_place_but_fails_the_attempt_transiently()
    {
        _fake.On("tasks/1", Status(429, retryAfterSeconds: "3600"));

        var failure = Assert.ThrowsAsync<ItemFetchException>(() => Session().GetAsync("tasks/1", CancellationToken.None));

        Assert.That(failure!.Message, Does.Contain("429").And.Contain("Retry-After 3600"));
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
        var logs = new FakeLogCollector();

        await Session(Client(logs: logs)).GetAsync("tasks/1", CancellationToken.None);

        var records = logs.GetSnapshot();
        Assert.That(records.Any(r => r.Level == LogLevel.Trace), Is.True, "the HTTP client's own logging was expected to write at Trace");
        Assert.That(records.Any(r => r.Scopes.Count > 0), Is.True, "the HTTP client's lines are written in its request scope");
        Assert.That(records.Select(TelemetryText.Of), Has.None.Contains(Token));
    }

    [Test]
    public void Unreachable_api_fails_transiently_after_its_retries()
    {
        var closed = new Uri("http://127.0.0.1:9/api/");

        var failure = Assert.ThrowsAsync<ItemFetchException>(() =>
            Client(retryCount: 1).OpenSession("smartsheet", closed, Token).GetAsync("sheets/1/rows/2", CancellationToken.None));

        Assert.That(failure!.Message, Does.StartWith("smartsheet API GET /api/sheets/1/rows/2 failed after 2 attempts"));
        Assert.That(failure.ToString(), Does.Not.Contain(Token));
    }
}
