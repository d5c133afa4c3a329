using System.Buffers;

namespace Webhooks.Bench;

/// <summary>The HTTP ceiling: Kestrel reading the whole body and answering a small JSON, nothing else.</summary>
public static class PlainEndpoint
{
    public static async Task<int> RunAsync(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        app.MapPost("/{**path}", async context =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                while (await context.Request.Body.ReadAsync(buffer, context.RequestAborted) > 0)
                {
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"status":"accepted"}""", context.RequestAborted);
        });
        await app.RunAsync();
        return 0;
    }
}
