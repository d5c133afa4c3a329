using System.Text.Json;
using System.Text.Json.Serialization;

namespace Webhooks.Ingress.Webhook;

public sealed record StatusResponse(string Status);

public sealed record ErrorResponse(string Error, string Detail);

public sealed record SmartsheetChallengeResponse(string SmartsheetHookResponse);

/// <summary>Source-generated serialisation for the webhook endpoint's answers (the 200 is written by <c>WebhookResults.Accepted</c>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(SmartsheetChallengeResponse))]
public sealed partial class IngressJsonContext : JsonSerializerContext;
