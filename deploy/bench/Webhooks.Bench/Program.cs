using Webhooks.Bench;

// Verbs used by deploy/bench.sh (see that script for the whole run):
//   plain   <url>                                        a Kestrel endpoint that only reads the body (the HTTP ceiling)
//   ceiling <connection string> <seconds> <batch> <writers>  batched COPY into a scratch table (the durable-write ceiling)
//   load    <base url> <tokens file> <template> <id base> <issues> (--rate R --seconds S | --count N --concurrency C)
return args switch
{
    ["plain", var url] => await PlainEndpoint.RunAsync(url),
    ["ceiling", var connectionString, var seconds, var batch, var writers] =>
        await DurableWriteCeiling.RunAsync(connectionString, TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)),
            int.Parse(batch, System.Globalization.CultureInfo.InvariantCulture), int.Parse(writers, System.Globalization.CultureInfo.InvariantCulture)),
    ["load", .. var rest] => await LoadGenerator.RunAsync(LoadSettings.Parse(rest)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Webhooks.Bench plain <url> | ceiling <cs> <seconds> <batch> <writers> | load <base url> <tokens file> <template> <id base> <issues> (--rate R --seconds S | --count N --concurrency C)");
    return 2;
}
