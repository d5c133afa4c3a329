using System.Collections.Frozen;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Webhooks.Contracts;
using Webhooks.Ingress.Holding;
using Webhooks.Ingress.Limits;
using Webhooks.Ingress.Providers;
using Webhooks.Ingress.Telemetry;

namespace Webhooks.Ingress.Webhook;

/// <summary>What the webhook endpoint uses, bound from DI in one parameter.</summary>
internal sealed record WebhookEndpointDependencies(
    IntegrationsByToken IntegrationsByToken,
    DeliveryWriter Writer,
    SigningSecretStore Secrets,
    FrozenDictionary<Provider, IProviderReceiver> Receivers,
    IOptions<IngressOptions> Options,
    TimeProvider Time,
    IngressTelemetry Telemetry,
    ILogger<WebhookEndpointDependencies> Logger,
    BodyBudget Bodies,
    IOptions<ConnectionLimitsOptions> Limits,
    HoldingQueue HoldingQueue);
