using static TorchSharp.torch;

namespace MlNetRnn.Training;

/// <summary>
/// What a <see cref="Trainer"/> needs from a model: the compiled loss, optimizer and metrics, a forward pass,
/// the weights, and Keras's <c>stop_training</c> flag. <c>MlNetRnn.Models.Model</c> implements it.
/// </summary>
public interface ITrainableModel
{
    /// <summary>The model's name, for messages.</summary>
    string Name { get; }

    /// <summary>The compiled loss.</summary>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    Loss Loss { get; }

    /// <summary>The compiled optimizer; its learning rate may be changed between steps (schedules).</summary>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    Optimizer Optimizer { get; }

    /// <summary>The compiled metrics, in order; empty for none.</summary>
    IReadOnlyList<Metric> Metrics { get; }

    /// <summary>The weights the optimizer updates, in a fixed order.</summary>
    IReadOnlyList<Tensor> TrainableVariables { get; }

    /// <summary>Set by a callback to end training after the current epoch (Keras <c>model.stop_training</c>).</summary>
    bool StopTraining { get; set; }

    /// <summary>Checks a batch against the model's inputs and the loss's targets (building the model from it if needed).</summary>
    /// <exception cref="ArgumentException">The batch does not fit; the message names <paramref name="parameterName"/>.</exception>
    void CheckBatch(Batch batch, string parameterName);

    /// <summary>Runs the model on a batch.</summary>
    /// <param name="inputs">One tensor per model input, each (batch, …input shape).</param>
    /// <param name="training">Training mode (dropout on) or inference mode.</param>
    /// <returns>The output and the mask that follows it (null without masking).</returns>
    (Tensor Output, Tensor? Mask) Forward(IReadOnlyList<Tensor> inputs, bool training);

    /// <summary>libtorch intra-op threads for a step or an evaluation batch on <paramref name="inputs"/> (see
    /// <see cref="ThreadPolicy"/>); the trainer applies it to the calling thread for the forward pass, the backward
    /// pass and the update.</summary>
    int ThreadsFor(IReadOnlyList<Tensor> inputs);

    /// <summary>Copies of every weight (Keras <c>get_weights</c>); the caller owns them.</summary>
    IReadOnlyList<Tensor> GetWeights();

    /// <summary>Overwrites every weight, in the order of <see cref="GetWeights"/>.</summary>
    void SetWeights(IReadOnlyList<Tensor> weights);

    /// <summary>Writes the weights to <paramref name="path"/> (<see cref="WeightsFile"/> format).</summary>
    void SaveWeights(string path);

    /// <summary>Writes the whole model (architecture, weights, compile settings) to <paramref name="path"/>.</summary>
    void Save(string path);
}
