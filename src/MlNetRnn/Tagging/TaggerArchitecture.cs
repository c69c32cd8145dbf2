using MlNetRnn.Layers;
using MlNetRnn.Models;
using MlNetRnn.Training;

namespace MlNetRnn.Tagging;

/// <summary>
/// The tagger's Keras model, built from its hyper-parameters with public layers only:
/// words (batch, time) → Embedding(maskZero) [+ chars (batch, time, chars) → Embedding(maskZero) → character encoder
/// → Concatenate] → Dropout → recurrent layer(s) (Bidirectional or not, each followed by Dropout) →
/// TimeDistributed(Dense(tags, softmax)) → (batch, time, tags). Dropout layers appear only with a positive rate,
/// so the version-1 configuration is exactly Embedding → SimpleRNN → TimeDistributed(Dense).
/// </summary>
internal static class TaggerArchitecture
{
    /// <summary>Builds and compiles the model (sparse categorical cross-entropy, Adam with the configured clipping).</summary>
    /// <param name="hp">Validated hyper-parameters; their seed seeds the model.</param>
    /// <param name="wordCount">Word embedding rows (vocabulary size with padding and out-of-vocabulary).</param>
    /// <param name="charCount">Character embedding rows; ignored without character features.</param>
    /// <param name="tagCount">Tags (softmax width).</param>
    /// <param name="trainingSteps">Optimizer steps the training will take (0 for a network that will not be trained):
    /// weight averaging is on only when <see cref="SequenceTaggerNetwork.AveragingPays"/> says so.</param>
    /// <returns>The model, with inputs [words] or [words, chars], and its word embedding layer.</returns>
    public static (Model Model, Embedding WordEmbedding) Build(SequenceTaggerHyperParameters hp, int wordCount, int charCount, int tagCount,
        long trainingSteps = 0)
    {
        var words = new Input([-1], name: "words");
        var wordEmbedding = new Embedding(wordCount, hp.EmbeddingSize, maskZero: true);
        var x = wordEmbedding.Apply(words)[0];
        var inputs = new List<Input> { words };
        if (hp.CharFeatures != CharFeatureKind.None)
        {
            var chars = new Input([-1, -1], name: "chars");
            inputs.Add(chars);
            var c = new Embedding(charCount, hp.CharEmbeddingSize, maskZero: true, name: "char_embedding").Apply(chars)[0];
            c = hp.CharFeatures == CharFeatureKind.Cnn
                ? new TimeDistributed(new GlobalMaxPooling1D(), name: "char_pooling").Apply(
                    new TimeDistributed(new Conv1D(hp.CharFilters, hp.CharKernelSize, padding: "same", activation: "relu"), name: "char_cnn").Apply(c)[0])[0]
                : new TimeDistributed(new Bidirectional(new LSTM(hp.CharUnits)), name: "char_bilstm").Apply(c)[0];
            x = new Concatenate().Apply(x, c)[0];
        }
        x = WithDropout(x, hp.Dropout);
        for (int layer = 0; layer < hp.Layers; layer++)
        {
            var recurrent = Recurrent(hp.Cell, hp.Units);
            x = (hp.Bidirectional ? new Bidirectional(recurrent) : (Layer)recurrent).Apply(x)[0];
            x = WithDropout(x, hp.Dropout);
        }
        var output = new TimeDistributed(new Dense(tagCount, activation: "softmax")).Apply(x)[0];
        var model = new Model(inputs, [output], name: "sequence_tagger", seed: hp.Seed);
        bool average = SequenceTaggerNetwork.AveragingPays(hp.EmaMomentum, trainingSteps);
        model.Compile(new SparseCategoricalCrossentropy(),
            new Adam(hp.LearningRate, beta2: hp.AdamBeta2, clipnorm: hp.ClipNorm > 0 ? hp.ClipNorm : null,
                useEma: average, emaMomentum: average ? hp.EmaMomentum : 0.99)
            {
                // With few steps (small data) Keras's fixed momentum leaves the average near the first steps' weights.
                EmaWarmup = true,
            });
        return (model, wordEmbedding);
    }

    private static SymbolicTensor WithDropout(SymbolicTensor x, double rate) => rate > 0 ? new Dropout(rate).Apply(x)[0] : x;

    private static RNN Recurrent(TaggerCell cell, int units) => cell switch
    {
        TaggerCell.Simple => new SimpleRNN(units, returnSequences: true),
        TaggerCell.Lstm => new LSTM(units, returnSequences: true),
        TaggerCell.Gru => new GRU(units, returnSequences: true),
        _ => throw new ArgumentException($"Unknown cell {cell}; expected Simple, Lstm or Gru.", nameof(cell)),
    };
}
