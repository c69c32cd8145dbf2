using TorchSharp;
using static TorchSharp.torch;
var rnn = nn.RNN(2, 3, batchFirst: true);
foreach (var (n, p) in rnn.named_parameters()) Console.WriteLine($"{n} {string.Join(",", p.shape)}");
var x = torch.ones(1, 1, 2);
var (o, h) = rnn.call(x, null);
Console.WriteLine(o.ToString(torch.numpy));
Console.WriteLine(torch.__version__);
