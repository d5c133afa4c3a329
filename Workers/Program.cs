using Webhooks.Workers.Commands;

// One command line for every verb (WorkerCommands); with none, WorkerHost runs the consumers.
return await WorkerCommands.RunAsync(args, Console.Out, Console.Error, Console.In);
