using Webhooks.Ingress;
using Webhooks.Ingress.Admin;
using Webhooks.Ingress.Bus;
using Webhooks.Ingress.Health;
using Webhooks.Ingress.Holding;
using Webhooks.Ingress.Outbox;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Telemetry;
using Webhooks.Ingress.Webhook;
using Webhooks.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddIngressOptions();
builder.AddTelemetry();
builder.AddWebhooksDatabase();
builder.AddWebhooksBus();
builder.AddProviders();
builder.AddWebhookIngress();
builder.AddHoldingQueue();
builder.AddOutboxRelay();
builder.AddAdminApi();
builder.AddHealth();

var app = builder.Build();
app.MapWebhookEndpoint();
app.MapAdminApi();
app.MapHealthEndpoints();
app.Run();
