using System.Net;
using Microsoft.AspNetCore.Hosting;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>An ingress started without an admin key serves no admin routes at all.</summary>
public sealed class AdminApiWithoutKeyTests
{
    private IngressApplication _app = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _app = new IngressApplication(configure: builder => builder.UseSetting("Ingress:AdminKey", ""));
        await _app.StartAsync();
    }

    [OneTimeTearDown]
    public async Task Stop() => await _app.DisposeAsync();

    [Test]
    public async Task Admin_routes_answer_404_when_no_admin_key_is_configured()
    {
        using var client = _app.CreateClient();
        using var admin = _app.CreateAdminClient();

        using var anonymous = await client.PostAsync("/api/v1/admin/accounts", AdminClient.Json("""{"name":"Acme"}"""));
        using var withOldKey = await admin.PostAsync("/api/v1/admin/accounts", AdminClient.Json("""{"name":"Acme"}"""));

        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(withOldKey.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task OpenApi_document_is_not_served_when_no_admin_key_is_configured()
    {
        using var client = _app.CreateClient();
        using var admin = _app.CreateAdminClient();

        using var anonymous = await client.GetAsync("/openapi/v1.json");
        using var withOldKey = await admin.GetAsync("/openapi/v1.json");

        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(withOldKey.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
