/**
 * The calibrated default of the pretrained face descriptor (face-api's
 * 128-d faceRecognitionNet, Euclidean distance). face-api's customary 0.6 lets
 * different people through: on the augmented sample faces below it accepted
 * 296 of 4,924 different-identity pairs (6 %).
 *
 * How it was calibrated (`node --import tsx bench/face-threshold.ts --per-identity 6`):
 * the 22 faces of face-api's six sample photos are 22 identities; each has 6
 * images (its crop plus 5 seeded augmentations: flip, brightness 0.7-1.3, crop
 * shift up to 8 %, rotation up to 10 degrees, blur, JPEG quality 35-90), of
 * which the SSD pipeline found exactly one face in 102. The threshold is the
 * best-accuracy point on all 227 similar pairs and as many random dissimilar
 * ones; identity-disjoint 5-fold cross-validation (threshold chosen without a
 * fold's people, accuracy measured on them) gave per-fold thresholds
 * 0.486-0.507 and a mean held-out accuracy of 0.994. These are augmented crops
 * of six photos, not a real identity set: calibrate on your own people
 * (`calibrateFaceThreshold`, or train a head with `train --dataset faces:DIR`).
 */

/** Threshold and Platt fit of the pretrained descriptor, and where they come from. */
export const PRETRAINED_FACE_CALIBRATION = {
  threshold: 0.4749,
  platt: { a: 28.962, b: -14.570 },
  target: 'accuracy',
  dataset: 'augmented crops of the 22 faces in face-api demo/sample1-6.jpg (102 images, 227 similar + 227 dissimilar pairs)',
  kfold: { folds: 5, by: 'identity', accuracy: 0.994, thresholds: [0.486, 0.507] as [number, number] },
  customary: { threshold: 0.6, falseAccepts: '296 of 4924 different-identity pairs' },
} as const;
