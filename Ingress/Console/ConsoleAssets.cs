using System.Text;

namespace Webhooks.Ingress.Console;

/// <summary>The console's stylesheet and its one script, embedded in the assembly: no static-file folder is served anywhere.</summary>
public static class ConsoleAssets
{
    private static readonly string Css = Read("console.css");
    private static readonly string Js = Read("console.js");

    public static IResult Stylesheet => Results.Text(Css, "text/css; charset=utf-8");

    public static IResult Script => Results.Text(Js, "text/javascript; charset=utf-8");

    private static string Read(string name)
    {
        using var stream = typeof(ConsoleAssets).Assembly.GetManifestResourceStream($"Webhooks.Ingress.Console.{name}")
            ?? throw new InvalidOperationException($"The console's {name} is not embedded in the assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
