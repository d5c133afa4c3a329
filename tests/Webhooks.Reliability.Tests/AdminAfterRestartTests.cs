using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Webhooks.Reliability.Tests;

/// <summary>
/// PostgreSQL restarts under the admin API (its own connection pool, as deploy/run.sh runs it): once it is back the very
/// first call is served, although every connection the pool held died with the server (it answered an empty 500); while
/// it is down an admin call is a 503 problem with Retry-After and a trace id, and nothing internal.
/// </summary>
public sealed class AdminAfterRestartTests
{
    private const string AdminKey = "reliability-admin-key-0123456789abcdef";

    [Test]
    public async Task First_admin_call_after_a_PostgreSQL_restart_is_served_and_calls_while_it_is_down_are_503_problems()
    {
        await using var stack = await FaultStack.CreateAsync("admin");
        var ingress = await stack.StartIngressAsync(new Dictionary<string, string>
        {
            ["Ingress:AdminKey"] = AdminKey,
            ["DeadLetters:User"] = FaultInstances.User,
            ["DeadLetters:Pass"] = FaultInstances.Password,
            // Its own pool, used by nothing but the admin API: nothing else finds its dead connections first.
            ["ConnectionStrings:Admin"] = stack.ConnectionString,
        });
        using var admin = ingress.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        // Several calls at once, so the admin pool holds several connections when the server goes away.
        var created = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => CreateAccountAsync(admin, $"Before {i}")));
        Assert.That(created.Select(c => c.Status), Is.All.EqualTo(HttpStatusCode.Created), string.Join("\n", created.Select(c => c.Body)));
        var accountId = created[0].Id!.Value;

        // A restart with no call in between: every connection the admin pool kept is dead, and the first call meets one.
        await FaultInstances.StopPostgresAsync();
        await FaultInstances.StartPostgresAsync();
        using (var first = await admin.GetAsync(new Uri($"/api/v1/admin/accounts/{accountId}", UriKind.Relative)))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), await first.Content.ReadAsStringAsync());
        }
        var afterRestart = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => CreateAccountAsync(admin, $"After {i}")));
        Assert.That(afterRestart.Select(c => c.Status), Is.All.EqualTo(HttpStatusCode.Created), string.Join("\n", afterRestart.Select(c => c.Body)));

        // While it is down: 503 problems, reads and writes alike.
        await FaultInstances.StopPostgresAsync();
        using (var read = await admin.GetAsync(new Uri($"/api/v1/admin/accounts/{accountId}", UriKind.Relative)))
        {
            await AssertUnavailableProblemAsync(read);
        }
        var write = await CreateAccountAsync(admin, "While down");
        Assert.That(write.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), write.Body);

        await FaultInstances.StartPostgresAsync();
        var backAgain = await CreateAccountAsync(admin, "Back again");
        Assert.That(backAgain.Status, Is.EqualTo(HttpStatusCode.Created), backAgain.Body);

        await using var db = stack.CreateDbContext();
        Assert.Multiple(() =>
        {
            Assert.That(db.Accounts.Count(a => a.Name == "While down"), Is.Zero, "a 503 wrote nothing");
            Assert.That(db.Accounts.Count(a => a.Name.StartsWith("After ")), Is.EqualTo(4), "each write applied once");
            Assert.That(db.Accounts.Count(a => a.Name == "Back again"), Is.EqualTo(1));
        });
    }

    private static async Task AssertUnavailableProblemAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), body);
            Assert.That(response.Headers.RetryAfter?.Delta, Is.Not.Null, "the operator's tool is told when to try again");
            Assert.That(body, Does.Not.Contain("Npgsql").And.Not.Contain("Exception").And.Not.Contain("Host=")
                .And.Not.Contain("SELECT").And.Not.Contain(FaultInstances.Password + ";"), "nothing internal is shown");
        });
        using var problem = JsonDocument.Parse(body);
        Assert.Multiple(() =>
        {
            Assert.That(problem.RootElement.GetProperty("status").GetInt32(), Is.EqualTo(503));
            Assert.That(problem.RootElement.GetProperty("traceId").GetString(), Is.Not.Empty);
        });
    }

    private static async Task<(HttpStatusCode Status, Guid? Id, string Body)> CreateAccountAsync(HttpClient admin, string name)
    {
        using var response = await admin.PostAsJsonAsync(new Uri("/api/v1/admin/accounts", UriKind.Relative), new { name });
        var body = await response.Content.ReadAsStringAsync();
        Guid? id = response.StatusCode == HttpStatusCode.Created ? JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid() : null;
        return (response.StatusCode, id, body);
    }
}
