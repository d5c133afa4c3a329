using System.Net;
using Microsoft.AspNetCore.Hosting;

namespace Webhooks.Ingress.Tests.Admin;

/// <summary>An ingress started without an admin key serves no admin routes at all.</summary>
public sealed class AdminApiWithoutKeyTests : IngressFixture
{
    protected override void Configure(IWebHostBuilder web) => web.UseSetting("Ingress:AdminKey", "");

    [Test]
    public async Task Admin_routes_answer_404_when_no_admin_key_is_configured()
    {
        using var anonymous = await Client.PostAsync("/api/v1/admin/accounts", AdminClient.Json("""{"name":"Acme"}"""));
        using var withOldKey = await Admin.Http.PostAsync("/api/v1/admin/accounts", AdminClient.Json("""{"name":"Acme"}"""));

        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(withOldKey.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task OpenApi_document_is_not_served_when_no_admin_key_is_configured()
    {
        using var anonymous = await Client.GetAsync("/openapi/v1.json");
        using var withOldKey = await Admin.Http.GetAsync("/openapi/v1.json");

        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(withOldKey.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
