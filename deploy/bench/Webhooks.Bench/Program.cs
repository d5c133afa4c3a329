using Webhooks.Bench;

// Verbs used by deploy/bench.sh (see that script for the whole run):
//   plain   <url>                                        a Kestrel endpoint that only reads the body (the HTTP ceiling)
//   durable <url> <connection string> [writers]          Kestrel + group-commit COPY into a scratch table, 200 after
//                                                        the commit (the durable-write ceiling; writers default 2)
//   ceiling <connection string> <seconds> <batch> <writers>  batched COPY into a scratch table, no HTTP (the raw COPY rate)
//   load    <base url> <tokens file> <template> <id base> <issues> (--rate R --seconds S [--warmup W] | --count N --concurrency C)
return args switch
{
    ["plain", var url] => await PlainEndpoint.RunAsync(url),
    ["durable", var url, var connectionString] => await DurableEndpoint.RunAsync(url, connectionString, 2),
    ["durable", var url, var connectionString, var writers] =>
        await DurableEndpoint.RunAsync(url, connectionString, int.Parse(writers, System.Globalization.CultureInfo.InvariantCulture)),
    ["ceiling", var connectionString, var seconds, var batch, var writers] =>
        await DurableWriteCeiling.RunAsync(connectionString, TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)),
            int.Parse(batch, System.Globalization.CultureInfo.InvariantCulture), int.Parse(writers, System.Globalization.CultureInfo.InvariantCulture)),
    ["load", .. var rest] => Report(await LoadGenerator.RunAsync(LoadSettings.Parse(rest))),
    _ => Usage(),
};

static int Report(LoadResult result)
{
    Console.WriteLine(result.Line());
    return result.AllAnswered2xx ? 0 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Webhooks.Bench plain <url> | durable <url> <cs> [writers] | ceiling <cs> <seconds> <batch> <writers> | load <base url> <tokens file> <template> <id base> <issues> (--rate R --seconds S [--warmup W] | --count N --concurrency C)");
    return 2;
}
