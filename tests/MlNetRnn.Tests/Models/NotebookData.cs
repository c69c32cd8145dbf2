using MlNetRnn.Layers;
using MlNetRnn.Models;
using static TorchSharp.torch;

namespace MlNetRnn.Tests.Models;

/// <summary>The seed notebook's toy data and tagger, for library tests (which must not depend on the CLI project).</summary>
internal static class NotebookData
{
    /// <summary>"John loves Jane", "Jane loves John" as one-hot word vectors, (2, 3, 3).</summary>
    public static Tensor OneHotInputs() =>
        nn.functional.one_hot(tensor(new long[] { 0, 1, 2, 2, 1, 0 }).reshape(2, 3), 3).to_type(ScalarType.Float32);

    /// <summary>Tags S V O for both sentences, (2, 3).</summary>
    public static Tensor TagTargets() => tensor(new long[] { 0, 1, 2, 0, 1, 2 }).reshape(2, 3);

    /// <summary>SimpleRNN(3, returnSequences) → TimeDistributed(Dense(3, softmax)), compiled with Keras's loss and Adam.</summary>
    public static Sequential Tagger(int seed)
    {
        var model = new Sequential(seed: seed);
        model.Add(new SimpleRNN(3, inputShape: [3, 3], returnSequences: true));
        model.Add(new TimeDistributed(new Dense(3, activation: "softmax")));
        model.Compile(loss: "sparse_categorical_crossentropy", optimizer: "adam");
        return model;
    }
}
