namespace Webhooks.Console.Tests;

/// <summary>Waits for a condition with a deadline, never a fixed sleep; fails naming what it waited for.</summary>
public static class Poll
{
    public static Task UntilAsync(Func<bool> condition, TimeSpan within, string what) =>
        UntilAsync(() => Task.FromResult(condition()), within, what);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {within.TotalSeconds} s for {what}.");
            }
            await Task.Delay(100);
        }
    }
}
