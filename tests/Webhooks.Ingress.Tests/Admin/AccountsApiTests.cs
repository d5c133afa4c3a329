using System.Net;
using System.Text.Json;

namespace Webhooks.Ingress.Tests.Admin;

public sealed class AccountsApiTests : IngressFixture
{
    private async Task<HttpStatusCode> PostWebhookAsync(string path)
    {
        using var response = await Client.PostAsync(path, AdminClient.Json("{}"));
        return response.StatusCode;
    }

    [TestCase("suspended")]
    [TestCase("disabled")]
    public async Task Inactive_account_makes_its_webhooks_answer_410_at_once_and_active_again_200(string status)
    {
        var seeded = await Admin.SeedAsync();

        var changed = await AdminClient.ExpectAsync(await Admin.PatchAsync($"/accounts/{seeded.AccountId}", new { status }), HttpStatusCode.OK);
        var whileInactive = await PostWebhookAsync(seeded.WebhookPath);
        var restored = await AdminClient.ExpectAsync(await Admin.PatchAsync($"/accounts/{seeded.AccountId}", new { status = "active" }), HttpStatusCode.OK);
        var whenActive = await PostWebhookAsync(seeded.WebhookPath);

        Assert.Multiple(() =>
        {
            Assert.That(changed.GetProperty("status").GetString(), Is.EqualTo(status));
            Assert.That(changed.GetProperty("id").GetGuid(), Is.EqualTo(seeded.AccountId));
            Assert.That(whileInactive, Is.EqualTo(HttpStatusCode.Gone));
            Assert.That(restored.GetProperty("status").GetString(), Is.EqualTo("active"));
            Assert.That(whenActive, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task New_account_is_active_and_answers_its_name()
    {
        var account = await Admin.CreateAccountAsync("Globex");

        Assert.Multiple(() =>
        {
            Assert.That(account.GetProperty("name").GetString(), Is.EqualTo("Globex"));
            Assert.That(account.GetProperty("status").GetString(), Is.EqualTo("active"));
            Assert.That(account.GetProperty("id").GetGuid(), Is.Not.EqualTo(Guid.Empty));
        });
    }

    [Test]
    public async Task Account_without_a_name_is_answered_400_naming_the_field()
    {
        var problem = await AdminClient.ExpectAsync(await Admin.PostJsonAsync("/accounts", "{}"), HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("errors").TryGetProperty("name", out _), Is.True);
    }

    [Test]
    public async Task Unknown_status_is_400_and_unknown_account_404()
    {
        var account = await Admin.CreateAccountAsync();

        var badStatus = await AdminClient.ExpectAsync(await Admin.PatchAsync($"/accounts/{account.GetProperty("id").GetGuid()}", new { status = "frozen" }), HttpStatusCode.BadRequest);
        using var unknown = await Admin.PatchAsync($"/accounts/{Guid.NewGuid()}", new { status = "active" });

        Assert.That(badStatus.GetProperty("errors").TryGetProperty("status", out _), Is.True);
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Users_email_is_unique_in_an_account_409_but_free_in_another()
    {
        var first = (await Admin.CreateAccountAsync()).GetProperty("id").GetGuid();
        var second = (await Admin.CreateAccountAsync()).GetProperty("id").GetGuid();
        await Admin.CreateUserAsync(first, "same@example.test");

        using var duplicate = await Admin.PostAsync($"/accounts/{first}/users", new { name = "Again", email = "SAME@example.test" });
        using var elsewhere = await Admin.PostAsync($"/accounts/{second}/users", new { name = "Other", email = "same@example.test" });
        using var noEmail = await Admin.PostAsync($"/accounts/{first}/users", new { name = "No email" });
        using var noAccount = await Admin.PostAsync($"/accounts/{Guid.NewGuid()}/users", new { name = "Lost", email = "lost@example.test" });

        Assert.Multiple(() =>
        {
            Assert.That(duplicate.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(elsewhere.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(noEmail.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(noAccount.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Product_key_is_unique_in_an_account_409()
    {
        var accountId = (await Admin.CreateAccountAsync()).GetProperty("id").GetGuid();
        var product = await Admin.CreateProductAsync(accountId, "WEB");

        using var duplicate = await Admin.PostAsync($"/accounts/{accountId}/products", new { key = "WEB", name = "Again" });
        using var badKey = await Admin.PostAsync($"/accounts/{accountId}/products", new { key = "has space", name = "Bad" });

        Assert.Multiple(() =>
        {
            Assert.That(product.GetProperty("name").GetString(), Is.EqualTo("App"));
            Assert.That(duplicate.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(badKey.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task Membership_is_upserted_and_refuses_unknown_roles_and_users_of_other_accounts()
    {
        var seeded = await Admin.SeedAsync();
        var stranger = await Admin.SeedAsync();
        var path = $"/products/{seeded.ProductId}/members/{seeded.UserId}";

        var changed = await AdminClient.ExpectAsync(await Admin.PutAsync(path, new { role = "viewer" }), HttpStatusCode.OK);
        var badRole = await AdminClient.ExpectAsync(await Admin.PutAsync(path, new { role = "admin" }), HttpStatusCode.BadRequest);
        using var otherAccount = await Admin.PutAsync($"/products/{seeded.ProductId}/members/{stranger.UserId}", new { role = "owner" });
        using var unknownProduct = await Admin.PutAsync($"/products/{Guid.NewGuid()}/members/{seeded.UserId}", new { role = "owner" });

        await using var db = App.CreateDbContext();
        var role = db.Memberships.Single(m => m.ProductId == seeded.ProductId && m.UserId == seeded.UserId).Role;
        Assert.Multiple(() =>
        {
            Assert.That(changed.GetProperty("role").GetString(), Is.EqualTo("viewer"));
            Assert.That(role, Is.EqualTo(Webhooks.Persistence.Model.MembershipRole.Viewer));
            Assert.That(badRole.GetProperty("errors").TryGetProperty("role", out _), Is.True);
            Assert.That(otherAccount.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(unknownProduct.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [TestCase("not json")]
    [TestCase("""{"name": 42}""")]
    [TestCase("")]
    public async Task Body_that_does_not_bind_is_answered_400_problem(string body)
    {
        using var response = await Admin.PostJsonAsync("/accounts", body);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), await response.Content.ReadAsStringAsync());
    }
}
