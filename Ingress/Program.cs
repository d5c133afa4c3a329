using Webhooks.Ingress;
using Webhooks.Ingress.Admin;
using Webhooks.Ingress.Bus;
using Webhooks.Ingress.Health;
using Webhooks.Ingress.Outbox;
using Webhooks.Ingress.Protection;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Telemetry;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddIngressOptions();
builder.AddRequestProtection();
builder.AddTelemetry();
builder.AddWebhooksDatabase();
builder.AddWebhooksBus();
builder.AddProviders();
builder.AddWebhookIngress();
builder.AddOutboxRelay();
builder.AddAdminApi();
builder.AddHealth();

var app = builder.Build();
app.UseRequestProtection();
app.MapWebhookEndpoint();
app.MapAdminApi();
app.MapHealthEndpoints();
app.Run();
