using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Webhooks.Ingress.Tests.Hostile;

/// <summary>HTTP/1.1 on a raw socket to a real Kestrel listener: what HttpClient will not send (a length never sent, a trickle).</summary>
internal static class RawHttp
{
    public static async Task<Socket> ConnectAsync(Uri address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, address.Port));
        return socket;
    }

    public static async Task SendAsync(Socket socket, string text) => await socket.SendAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>A JSON POST's request line and headers, declaring <paramref name="contentLength"/>.</summary>
    public static string PostHeaders(string path, int contentLength) =>
        $"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n\r\n";

    /// <summary>The answer's status line and headers (and what came with them), or null when nothing arrived in time.</summary>
    public static async Task<string?> TryReadAnswerAsync(Socket socket, TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        var buffer = new byte[16 * 1024];
        var answer = new StringBuilder();
        try
        {
            while (!answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await socket.ReceiveAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }
                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            // The body of a small answer arrives with it or just after.
            using var rest = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var more = await socket.ReceiveAsync(buffer, rest.Token);
            answer.Append(Encoding.ASCII.GetString(buffer, 0, more));
        }
        catch (OperationCanceledException)
        {
            // Nothing more within the bound.
        }
        catch (SocketException)
        {
            // Closed after the answer.
        }
        return answer.Length == 0 ? null : answer.ToString();
    }

    public static async Task<string> ReadAnswerAsync(Socket socket, TimeSpan bound) =>
        await TryReadAnswerAsync(socket, bound) ?? throw new AssertionException($"No answer within {bound.TotalSeconds} s.");
}
