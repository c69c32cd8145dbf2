using System.Globalization;
using System.Text;
using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Training;
using static TorchSharp.torch;

namespace MlNetRnn.Pipelines.Demo;

/// <summary>The seed Keras notebook, section by section: the cell opened up, states over a sequence, the SVO tagger.</summary>
public static class SeedNotebook
{
    /// <summary>The notebook's cell weights: kernel (2, 3), recurrent_kernel (3, 3), bias (3).</summary>
    public static readonly float[,] Kernel =
    {
        { 0.5427234f, -0.04074979f, -0.2556253f },
        { -0.22642076f, 0.61604977f, -0.68363726f },
    };

    public static readonly float[,] RecurrentKernel =
    {
        { -0.9243765f, -0.22979698f, -0.30450234f },
        { -0.38039708f, 0.61539215f, 0.69035536f },
        { 0.02874677f, 0.75398f, -0.65626806f },
    };

    /// <summary>Vocabulary and tags of the toy data, in one-hot order.</summary>
    public static readonly string[] Words = ["John", "loves", "Jane"];
    public static readonly string[] TagNames = ["S", "V", "O"];

    /// <summary>The two sentences as word indices: "John loves Jane", "Jane loves John".</summary>
    public static readonly int[][] Sentences = [[0, 1, 2], [2, 1, 0]];

    /// <summary>Tags per token: S V O for both.</summary>
    public static readonly int[][] Tags = [[0, 1, 2], [0, 1, 2]];

    /// <summary>One-hot inputs, (2, 3, 3).</summary>
    public static Tensor OneHotInputs() =>
        nn.functional.one_hot(tensor(Sentences.SelectMany(s => s.Select(i => (long)i)).ToArray()).reshape(2, 3), 3).to_type(ScalarType.Float32);

    /// <summary>Tag indices, (2, 3).</summary>
    public static Tensor TagTargets() => tensor(Tags.SelectMany(s => s.Select(i => (long)i)).ToArray()).reshape(2, 3);

    /// <summary>Section 1: SimpleRNN(3, returnState, tanh) as a functional model with the notebook's weights.</summary>
    public static Model CellModel()
    {
        var inputs = new Input([1, 2]);
        var rnn = new SimpleRNN(3, returnState: true, activation: "tanh");
        var model = new Model(inputs, rnn.Apply(inputs));
        model.SetWeights([tensor(Kernel), tensor(RecurrentKernel), zeros(3)]);
        return model;
    }

    /// <summary>Section 3: SimpleRNN(3, returnSequences) → TimeDistributed(Dense(3, softmax)), compiled with Keras's loss and Adam.</summary>
    public static Sequential Tagger(int seed)
    {
        var model = new Sequential(seed: seed);
        model.Add(new SimpleRNN(3, inputShape: [3, 3], returnSequences: true));
        model.Add(new TimeDistributed(new Dense(3, activation: "softmax")));
        model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "adam");
        return model;
    }

    /// <summary>Tags a sentence from the predicted probabilities (time, tags): argmax over the tag axis.</summary>
    public static string TagSentence(int[] words, Tensor probabilities)
    {
        var best = probabilities.argmax(-1).data<long>().ToArray();
        return string.Join(' ', words.Select((w, t) => $"{Words[w]}/{TagNames[best[t]]}"));
    }

    /// <summary>Runs the three sections, writing readable output.</summary>
    public static void Run(TextWriter output, int epochs = 2000, int seed = 1)
    {
        using var scope = NewDisposeScope();

        output.WriteLine("== 1. The RNN cell, opened up ==");
        output.WriteLine("SimpleRNN(3, return_state=True, activation='tanh') on one step of input [1, 2]");
        using (var cellModel = CellModel())
        {
            foreach (var (path, weight) in cellModel.NamedWeights)
            {
                output.WriteLine($"{path} {Shapes.Format(weight.Shape)}:");
                output.WriteLine(Indent(Format(weight.Read())));
            }
            var outputs = cellModel.PredictOutputs(tensor(new float[] { 1, 2 }).reshape(1, 1, 2));
            output.WriteLine($"output: {Format(outputs[0])}");
            output.WriteLine($"state:  {Format(outputs[1])}");
            output.WriteLine($"output == state: {outputs[0].allclose(outputs[1])}");
            output.WriteLine("by hand: tanh([1, 2]·kernel + bias + 0·recurrent_kernel) = " +
                Format((tensor(new float[] { 1, 2 }).reshape(1, 2).matmul(tensor(Kernel))).tanh()));
        }

        output.WriteLine();
        output.WriteLine("== 2. A sequence: outputs at every step and the final state ==");
        var x = OneHotInputs();
        output.WriteLine("one-hot inputs (2 sentences × 3 steps × 3 words): John loves Jane / Jane loves John");
        var inputs = new Input([3, 3]);
        using (var sequenceModel = new Model(inputs, new SimpleRNN(3, returnSequences: true, returnState: true).Apply(inputs), seed: seed))
        {
            var outs = sequenceModel.PredictOutputs(x);
            for (int s = 0; s < 2; s++)
            {
                output.WriteLine($"{string.Join(' ', Sentences[s].Select(w => Words[w]))}:");
                output.WriteLine($"  outputs per step: {Format(outs[0][s])}");
                output.WriteLine($"  final state:      {Format(outs[1][s])}");
                output.WriteLine($"  state == last output: {outs[1][s].allclose(outs[0][s][-1])}");
            }
        }

        output.WriteLine();
        output.WriteLine("== 3. The tagger ==");
        using var tagger = Tagger(seed);
        output.Write(tagger.Summary());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var history = tagger.Fit(x, TagTargets(), epochs: epochs, batchSize: 32, verbose: 0);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fit: {epochs} epochs in {clock.Elapsed.TotalSeconds:F2} s; loss {history.Loss[0]:F4} → {history.Loss[^1]:F4}"));
        var probabilities = tagger.Predict(x);
        output.WriteLine("probabilities (sentence × time × tag S/V/O):");
        output.WriteLine(Indent(Format(probabilities)));
        output.WriteLine("argmax over the tag axis (-1); the notebook's argmax(axis=1) runs over time and matches only by chance.");
        for (int s = 0; s < 2; s++)
        {
            output.WriteLine("  " + TagSentence(Sentences[s], probabilities[s]));
        }
    }

    private static string Indent(string text) => "  " + text.Replace("\n", "\n  ");

    /// <summary>Nested-list formatting with 8 significant digits, like NumPy's repr.</summary>
    public static string Format(Tensor t)
    {
        var data = t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        var shape = t.shape;
        var sb = new StringBuilder();
        int index = 0;
        void Write(int dim)
        {
            sb.Append('[');
            for (long i = 0; i < shape[dim]; i++)
            {
                if (i > 0) sb.Append(dim == shape.Length - 1 ? ", " : ",\n" + new string(' ', dim + 1));
                if (dim == shape.Length - 1) sb.Append(data[index++].ToString("G8", CultureInfo.InvariantCulture));
                else Write(dim + 1);
            }
            sb.Append(']');
        }
        if (shape.Length == 0) return data[0].ToString("G8", CultureInfo.InvariantCulture);
        Write(0);
        return sb.ToString();
    }
}
