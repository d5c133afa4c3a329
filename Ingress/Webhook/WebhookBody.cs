using System.Buffers;
using System.IO.Pipelines;
using Webhooks.Ingress.Limits;

namespace Webhooks.Ingress.Webhook;

/// <summary>How reading a webhook body ended.</summary>
public enum BodyOutcome
{
    /// <summary>The whole body arrived: <see cref="WebhookBody.Bytes"/>.</summary>
    Read,
    /// <summary>Declared or sent past <c>Ingress:MaxBodyBytes</c>: 413.</summary>
    TooLarge,
    /// <summary>The process holds <c>Ingress:Limits:MaxBodyBytesInFlight</c> already: 503 with Retry-After.</summary>
    OverBudget,
    /// <summary>Still arriving at <c>Ingress:Limits:RequestDeadline</c>: 408.</summary>
    PastDeadline,
    /// <summary>Kestrel gave up on it (too slow for its minimum data rate, cut short) or the sender left.</summary>
    NotReceived,
}

/// <summary>
/// A webhook body read as it arrives, into pooled segments that grow with what was actually received: a declared
/// Content-Length reserves nothing. Every byte read is taken from the process-wide <see cref="BodyBudget"/> and given
/// back when this is disposed, at the end of the request. The one exact-size array the delivery keeps is made once the
/// whole body is in.
/// </summary>
public sealed class WebhookBody : IDisposable
{
    private const int FirstSegment = 16 * 1024;
    private const int LargestSegment = 1024 * 1024;

    private readonly BodyBudget _budget;
    private readonly List<byte[]> _segments = [];
    private long _taken;
    private int _lastSegmentUsed;

    private WebhookBody(BodyBudget budget) => _budget = budget;

    public BodyOutcome Outcome { get; private set; }

    /// <summary>The body, when <see cref="Outcome"/> is <see cref="BodyOutcome.Read"/>.</summary>
    public byte[]? Bytes { get; private set; }

    /// <summary>For <see cref="BodyOutcome.NotReceived"/>: the status Kestrel gave up with (408 too slow, 400 cut short).</summary>
    public int NotReceivedStatus { get; private set; } = StatusCodes.Status400BadRequest;

    public static async Task<WebhookBody> ReadAsync(HttpRequest request, long limit, BodyBudget budget, TimeSpan deadline, TimeProvider time,
        CancellationToken aborted)
    {
        var body = new WebhookBody(budget);
        try
        {
            body.Outcome = await body.ReadCoreAsync(request, limit, deadline, time, aborted);
            if (body.Outcome == BodyOutcome.Read)
            {
                body.Bytes = body.Assemble();
            }
            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
        finally
        {
            body.ReturnSegments();
        }
    }

    private async Task<BodyOutcome> ReadCoreAsync(HttpRequest request, long limit, TimeSpan deadline, TimeProvider time, CancellationToken aborted)
    {
        // A sender's Content-Length is checked before anything is read; Kestrel then cuts off a chunked or lying sender
        // at the limit instead of buffering on.
        if (request.ContentLength > limit)
        {
            return BodyOutcome.TooLarge;
        }
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        var reader = request.BodyReader;
        CancellationTokenSource? late = null;
        CancellationTokenSource? stop = null;
        try
        {
            // Most bodies are whole in Kestrel's buffer by the time the endpoint runs: taken at once, without arming the
            // deadline (a timer and two token sources per request, measured among the ingress's costs per webhook).
            if (reader.TryRead(out var arrived) && Take(reader, arrived, limit) is { } whole)
            {
                return whole;
            }
            late = new CancellationTokenSource(deadline, time);
            stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, late.Token);
            while (true)
            {
                if (Take(reader, await reader.ReadAsync(stop.Token), limit) is { } outcome)
                {
                    return outcome;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return BodyOutcome.TooLarge;
        }
        catch (BadHttpRequestException e)
        {
            // Too slow for MinRequestBodyDataRate, or cut short: nothing was stored, the sender retries.
            NotReceivedStatus = e.StatusCode;
            return BodyOutcome.NotReceived;
        }
        catch (OperationCanceledException) when (late is { IsCancellationRequested: true } && !aborted.IsCancellationRequested)
        {
            return BodyOutcome.PastDeadline;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            return BodyOutcome.NotReceived;
        }
        finally
        {
            stop?.Dispose();
            late?.Dispose();
        }
    }

    /// <summary>Takes what one read brought; the outcome once the body is over, null while more is to come.</summary>
    private BodyOutcome? Take(PipeReader reader, ReadResult result, long limit)
    {
        var buffer = result.Buffer;
        if (_taken + buffer.Length > limit)
        {
            reader.AdvanceTo(buffer.End);
            return BodyOutcome.TooLarge;
        }
        if (!buffer.IsEmpty)
        {
            if (!_budget.TryTake(buffer.Length))
            {
                reader.AdvanceTo(buffer.End);
                return BodyOutcome.OverBudget;
            }
            _taken += buffer.Length;
            Append(buffer);
        }
        reader.AdvanceTo(buffer.End);
        return result.IsCompleted ? BodyOutcome.Read : null;
    }

    /// <summary>Copies what arrived into the segments, renting the next, larger one only when the last is full.</summary>
    private void Append(ReadOnlySequence<byte> buffer)
    {
        foreach (var memory in buffer)
        {
            var source = memory.Span;
            while (!source.IsEmpty)
            {
                if (_segments.Count == 0 || _lastSegmentUsed == _segments[^1].Length)
                {
                    var size = _segments.Count == 0 ? FirstSegment : Math.Min(_segments[^1].Length * 2, LargestSegment);
                    _segments.Add(ArrayPool<byte>.Shared.Rent(size));
                    _lastSegmentUsed = 0;
                }
                var target = _segments[^1].AsSpan(_lastSegmentUsed);
                var count = Math.Min(target.Length, source.Length);
                source[..count].CopyTo(target);
                source = source[count..];
                _lastSegmentUsed += count;
            }
        }
    }

    private byte[] Assemble()
    {
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)_taken));
        var offset = 0;
        for (var i = 0; i < _segments.Count; i++)
        {
            var used = i == _segments.Count - 1 ? _lastSegmentUsed : _segments[i].Length;
            _segments[i].AsSpan(0, used).CopyTo(bytes.AsSpan(offset));
            offset += used;
        }
        return bytes;
    }

    private void ReturnSegments()
    {
        foreach (var segment in _segments)
        {
            ArrayPool<byte>.Shared.Return(segment);
        }
        _segments.Clear();
    }

    /// <summary>Gives the bytes back to the budget: the request no longer holds them.</summary>
    public void Dispose()
    {
        _budget.Return(Interlocked.Exchange(ref _taken, 0));
        Bytes = null;
    }
}
