using System.Net.Http.Headers;
using System.Text.Json;
using Webhooks.Contracts;

namespace Webhooks.EndToEnd.Tests;

/// <summary>What Jira sends: the recorded comment_created.json for issue 10040.</summary>
public static class JiraWebhook
{
    /// <summary>Posts the comment as Jira would (optionally with a W3C traceparent) and returns the delivery id from the 200.</summary>
    public static async Task<Guid> PostCommentCreatedAsync(HttpClient client, string path, string? traceParent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(PayloadFixtures.Read(Provider.Jira, "comment_created.json")),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.UserAgent.ParseAdd("Atlassian-HttpClient/1.0");
        if (traceParent is not null)
        {
            request.Headers.Add("traceparent", traceParent);
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, $"the webhook was answered {(int)response.StatusCode}: {text}");
        using var answer = JsonDocument.Parse(text);
        return answer.RootElement.GetProperty("deliveryId").GetGuid();
    }
}
