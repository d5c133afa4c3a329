using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Webhooks.Ingress.Webhook;

namespace Webhooks.Ingress.Tests.Admin;

public sealed class IntegrationsApiTests : IngressFixture
{
    private async Task<HttpStatusCode> PostWebhookAsync(string path)
    {
        using var response = await Client.PostAsync(path, AdminClient.Json("{}"));
        return response.StatusCode;
    }

    [Test]
    public async Task Whole_flow_gives_a_token_once_whose_callback_url_accepts_webhooks()
    {
        var account = await Admin.CreateAccountAsync("Flow");
        var accountId = account.GetProperty("id").GetGuid();
        var user = await Admin.CreateUserAsync(accountId, "runner@example.test");
        var userId = user.GetProperty("id").GetGuid();
        var product = await Admin.CreateProductAsync(accountId, "FLOW");
        var productId = product.GetProperty("id").GetGuid();
        var member = await AdminClient.ExpectAsync(await Admin.PutAsync($"/products/{productId}/members/{userId}", new { role = "contributor" }), HttpStatusCode.OK);

        var created = await AdminClient.ExpectAsync(await Admin.PostAsync("/integrations", new
        {
            productId, provider = "jira", version = 2, name = "Jira cloud", runAsUserId = userId, signingSecret = "s3cret-value",
            settings = new { statusMappings = new Dictionary<string, string> { ["In Progress"] = "in_progress" }, apiToken = "api-token-value" },
        }), HttpStatusCode.Created);

        var token = created.GetProperty("token").GetString()!;
        var callbackUrl = new Uri(created.GetProperty("callbackUrl").GetString()!);
        var integrationId = created.GetProperty("id").GetGuid();
        Assert.Multiple(() =>
        {
            Assert.That(account.GetProperty("status").GetString(), Is.EqualTo("active"));
            Assert.That(user.GetProperty("email").GetString(), Is.EqualTo("runner@example.test"));
            Assert.That(product.GetProperty("key").GetString(), Is.EqualTo("FLOW"));
            Assert.That(member.GetProperty("role").GetString(), Is.EqualTo("contributor"));
            Assert.That(WebhookToken.IsWellFormed(token), Is.True);
            Assert.That(callbackUrl.GetLeftPart(UriPartial.Authority), Is.EqualTo(IngressApplication.PublicBaseUrl));
            Assert.That(callbackUrl.AbsolutePath, Is.EqualTo($"/api/v1/webhooks/{token}"));
            Assert.That(created.GetProperty("productId").GetGuid(), Is.EqualTo(productId));
            Assert.That(created.GetProperty("accountId").GetGuid(), Is.EqualTo(accountId));
            Assert.That(created.GetProperty("provider").GetString(), Is.EqualTo("jira"));
            Assert.That(created.GetProperty("version").GetInt32(), Is.EqualTo(2));
            Assert.That(created.GetProperty("enabled").GetBoolean(), Is.True);
            Assert.That(created.GetProperty("runAsUserId").GetGuid(), Is.EqualTo(userId));
            Assert.That(created.GetProperty("hasSigningSecret").GetBoolean(), Is.True);
            Assert.That(created.GetProperty("hasApiToken").GetBoolean(), Is.True);
            Assert.That(created.GetProperty("settings").GetProperty("statusMappings").GetProperty("In Progress").GetString(), Is.EqualTo("in_progress"));
            Assert.That(created.GetProperty("settings").TryGetProperty("apiToken", out _), Is.False);
            Assert.That(created.GetRawText(), Does.Not.Contain("s3cret-value").And.Not.Contain("api-token-value"));
        });

        using var read = await Admin.GetAsync($"/integrations/{integrationId}");
        var text = await read.Content.ReadAsStringAsync();
        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var shown = JsonDocument.Parse(text).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(shown.TryGetProperty("token", out _), Is.False);
            Assert.That(shown.TryGetProperty("tokenHash", out _), Is.False);
            Assert.That(shown.TryGetProperty("signingSecret", out _), Is.False);
            Assert.That(text, Does.Not.Contain(token).And.Not.Contain("s3cret-value").And.Not.Contain("api-token-value"));
            Assert.That(shown.GetProperty("hasSigningSecret").GetBoolean(), Is.True);
            Assert.That(shown.GetProperty("hasApiToken").GetBoolean(), Is.True);
            Assert.That(shown.GetProperty("name").GetString(), Is.EqualTo("Jira cloud"));
        });

        await using (var db = App.CreateDbContext())
        {
            var stored = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == integrationId);
            Assert.That(stored.TokenHash, Is.EqualTo(WebhookToken.Hash(token)), "only the hash of the token is stored");
        }

        // The secret set through the API is the one the ingress checks: unsigned is refused, signed is accepted.
        using var unsigned = await Client.PostAsync(callbackUrl.AbsolutePath, AdminClient.Json("{}"));
        Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var signedContent = AdminClient.Json("{}");
        signedContent.Headers.Add("X-Hub-Signature", GitHubSender.Signature("{}"u8.ToArray(), "s3cret-value"));
        using var webhook = await Client.PostAsync(callbackUrl.AbsolutePath, signedContent);
        Assert.That(webhook.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var answer = await webhook.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("accepted"));
    }

    [Test]
    public async Task Disabled_integration_answers_410_at_once_and_200_again_when_enabled()
    {
        var seeded = await Admin.SeedAsync();

        var disabled = await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { enabled = false });
        var whileDisabled = await PostWebhookAsync(seeded.WebhookPath);
        await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { enabled = true });
        var whenEnabled = await PostWebhookAsync(seeded.WebhookPath);

        Assert.Multiple(() =>
        {
            Assert.That(disabled.GetProperty("enabled").GetBoolean(), Is.False);
            Assert.That(whileDisabled, Is.EqualTo(HttpStatusCode.Gone));
            Assert.That(whenEnabled, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Rotated_token_answers_410_and_the_new_one_200()
    {
        var seeded = await Admin.SeedAsync();
        Assert.That(await PostWebhookAsync(seeded.WebhookPath), Is.EqualTo(HttpStatusCode.OK));

        var rotated = await AdminClient.ExpectAsync(await Admin.PostJsonAsync($"/integrations/{seeded.IntegrationId}/token", ""), HttpStatusCode.OK);

        var newToken = rotated.GetProperty("token").GetString()!;
        Assert.Multiple(async () =>
        {
            Assert.That(newToken, Is.Not.EqualTo(seeded.Token));
            Assert.That(rotated.GetProperty("callbackUrl").GetString(), Is.EqualTo($"{IngressApplication.PublicBaseUrl}/api/v1/webhooks/{newToken}"));
            Assert.That(await PostWebhookAsync(seeded.WebhookPath), Is.EqualTo(HttpStatusCode.Gone));
            Assert.That(await PostWebhookAsync($"/api/v1/webhooks/{newToken}"), Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Changing_the_run_as_user_keeps_the_token()
    {
        var seeded = await Admin.SeedAsync();
        var other = await Admin.CreateUserAsync(seeded.AccountId);
        var otherId = other.GetProperty("id").GetGuid();

        var changed = await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { runAsUserId = otherId, name = "Renamed" });

        Assert.Multiple(async () =>
        {
            Assert.That(changed.GetProperty("runAsUserId").GetGuid(), Is.EqualTo(otherId));
            Assert.That(changed.GetProperty("name").GetString(), Is.EqualTo("Renamed"));
            Assert.That(await PostWebhookAsync(seeded.WebhookPath), Is.EqualTo(HttpStatusCode.OK));
        });
        await using var db = App.CreateDbContext();
        var stored = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == seeded.IntegrationId);
        Assert.That(stored.TokenHash, Is.EqualTo(WebhookToken.Hash(seeded.Token)));
        Assert.That(stored.UpdatedAt, Is.GreaterThan(stored.CreatedAt));
    }

    [Test]
    public async Task Settings_patch_replaces_the_mappings_and_keeps_the_hidden_api_token()
    {
        var seeded = await Admin.SeedAsync(settings: new { apiToken = "kept-token", statusMappings = new Dictionary<string, string> { ["Done"] = "shipped" } });

        var changed = await Admin.PatchIntegrationAsync(seeded.IntegrationId,
            new { settings = new { statusMappings = new Dictionary<string, string> { ["Open"] = "new" } }, signingSecret = "later-secret" });

        Assert.Multiple(() =>
        {
            Assert.That(changed.GetProperty("settings").GetProperty("statusMappings").TryGetProperty("Done", out _), Is.False);
            Assert.That(changed.GetProperty("settings").GetProperty("statusMappings").GetProperty("Open").GetString(), Is.EqualTo("new"));
            Assert.That(changed.GetProperty("hasApiToken").GetBoolean(), Is.True);
            Assert.That(changed.GetProperty("hasSigningSecret").GetBoolean(), Is.True);
        });
        await using var db = App.CreateDbContext();
        var stored = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == seeded.IntegrationId);
        // Both are stored encrypted at rest (Security/SecretsAtRestTests); decrypted they are what was given.
        var secrets = App.Services.GetRequiredService<Webhooks.Persistence.Secrets.SecretProtector>();
        Assert.That(secrets.Unprotect(Webhooks.Persistence.Model.IntegrationSettings.Parse(stored.Settings).ApiToken), Is.EqualTo("kept-token"));
        var storedSecret = await db.IntegrationSigningSecrets.AsNoTracking().SingleAsync(s => s.IntegrationId == seeded.IntegrationId);
        Assert.That(secrets.Unprotect(storedSecret.Secret), Is.EqualTo("later-secret"));
    }

    [Test]
    public async Task Template_of_the_same_account_and_provider_is_accepted_and_a_circular_chain_is_taken_with_a_warning()
    {
        // The design brief: a circular template dependency is a delivery's recorded error, so the chain can be made.
        var seeded = await Admin.SeedAsync();
        var second = await Admin.CreateIntegrationAsync(seeded.ProductId, seeded.UserId);
        var secondId = second.GetProperty("id").GetGuid();

        var withTemplate = await Admin.PatchIntegrationAsync(secondId, new { templateId = seeded.IntegrationId });
        var circular = await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { templateId = secondId });
        var self = await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { templateId = seeded.IntegrationId });
        var undone = await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { templateId = (Guid?)null });
        var otherProvider = await Admin.CreateIntegrationAsync(seeded.ProductId, seeded.UserId, provider: "github");
        using var wrongProvider = await Admin.PatchAsync($"/integrations/{otherProvider.GetProperty("id").GetGuid()}", new { templateId = seeded.IntegrationId });

        Assert.Multiple(() =>
        {
            Assert.That(withTemplate.GetProperty("templateId").GetGuid(), Is.EqualTo(seeded.IntegrationId));
            Assert.That(withTemplate.TryGetProperty("warnings", out _), Is.False, "no warning for a chain that ends");
            Assert.That(circular.GetProperty("templateId").GetGuid(), Is.EqualTo(secondId));
            Assert.That(circular.GetProperty("warnings")[0].GetString(), Does.Contain("circular"));
            Assert.That(self.GetProperty("templateId").GetGuid(), Is.EqualTo(seeded.IntegrationId));
            Assert.That(self.GetProperty("warnings")[0].GetString(), Does.Contain("circular"));
            Assert.That(undone.GetProperty("templateId").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(wrongProvider.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task A_template_leading_into_a_loop_of_other_integrations_is_taken_with_a_warning_on_create_and_on_change()
    {
        // B and C name each other; A, made or changed to start at B, never reaches itself but its chain never ends either.
        var seeded = await Admin.SeedAsync();
        var b = (await Admin.CreateIntegrationAsync(seeded.ProductId, seeded.UserId)).GetProperty("id").GetGuid();
        var c = (await Admin.CreateIntegrationAsync(seeded.ProductId, seeded.UserId, templateId: b)).GetProperty("id").GetGuid();
        await Admin.PatchIntegrationAsync(b, new { templateId = c });

        var created = await Admin.CreateIntegrationAsync(seeded.ProductId, seeded.UserId, templateId: b);
        var changed = await Admin.PatchIntegrationAsync(seeded.IntegrationId, new { templateId = b });

        Assert.That(created.GetProperty("warnings")[0].GetString(), Does.Contain("loop of other integrations"));
        Assert.That(changed.GetProperty("warnings")[0].GetString(), Does.Contain("loop of other integrations"));
    }

    [TestCase("""{"provider":"bitbucket","version":1,"name":"x"}""", "provider")]
    [TestCase("""{"provider":"jira","version":3,"name":"x"}""", "version")]
    [TestCase("""{"provider":"jira","version":1}""", "name")]
    [TestCase("""{"provider":"jira","version":1,"name":"x","settings":"not an object"}""", "settings")]
    [TestCase("""{"provider":"jira","version":1,"name":"x","settings":[1,2]}""", "settings")]
    [TestCase("""{"provider":"jira","version":1,"name":"x","settings":{"statusMappings":{"Done":3}}}""", "settings")]
    public async Task Invalid_integration_is_answered_400_naming_the_field(string partial, string field)
    {
        var seeded = await Admin.SeedAsync();
        var body = partial.Insert(1, $"\"productId\":\"{seeded.ProductId}\",\"runAsUserId\":\"{seeded.UserId}\",");

        var problem = await AdminClient.ExpectAsync(await Admin.PostJsonAsync("/integrations", body), HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("errors").TryGetProperty(field, out _), Is.True, problem.GetRawText());
    }

    [Test]
    public async Task Status_mapping_longer_than_a_record_status_is_answered_400_and_one_that_fits_is_kept()
    {
        var seeded = await Admin.SeedAsync();
        var tooLong = new { statusMappings = new Dictionary<string, string> { ["Done"] = new string('s', 201) } };
        var fits = new { statusMappings = new Dictionary<string, string> { ["Done"] = new string('s', 200) } };

        using var created = await Admin.PostAsync("/integrations",
            new { productId = seeded.ProductId, provider = "jira", version = 1, name = "x", runAsUserId = seeded.UserId, settings = tooLong });
        using var patched = await Admin.PatchAsync($"/integrations/{seeded.IntegrationId}", new { settings = tooLong });
        using var kept = await Admin.PatchAsync($"/integrations/{seeded.IntegrationId}", new { settings = fits });

        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(patched.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await patched.Content.ReadAsStringAsync(), Does.Contain("at most 200 characters"));
        var integration = await AdminClient.ExpectAsync(kept, HttpStatusCode.OK);
        Assert.That(integration.GetProperty("settings").GetProperty("statusMappings").GetProperty("Done").GetString(), Has.Length.EqualTo(200));
    }

    [Test]
    public async Task Run_as_user_of_another_account_is_answered_400()
    {
        var seeded = await Admin.SeedAsync();
        var stranger = await Admin.SeedAsync();

        using var created = await Admin.PostAsync("/integrations", new { productId = seeded.ProductId, provider = "jira", version = 1, name = "x", runAsUserId = stranger.UserId });
        using var patched = await Admin.PatchAsync($"/integrations/{seeded.IntegrationId}", new { runAsUserId = stranger.UserId });

        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(patched.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Unknown_integration_or_product_is_answered_404_problem()
    {
        var seeded = await Admin.SeedAsync();
        var unknown = Guid.NewGuid();

        using var read = await Admin.GetAsync($"/integrations/{unknown}");
        using var patch = await Admin.PatchAsync($"/integrations/{unknown}", new { enabled = false });
        using var rotate = await Admin.PostJsonAsync($"/integrations/{unknown}/token", "");
        using var create = await Admin.PostAsync("/integrations", new { productId = unknown, provider = "jira", version = 1, name = "x", runAsUserId = seeded.UserId });

        Assert.Multiple(() =>
        {
            foreach (var response in new[] { read, patch, rotate, create })
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), response.RequestMessage?.RequestUri?.ToString());
                Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            }
        });
    }
}
