// The handler registry: one handler per supported operation of the table, checked exhaustively by
// the type (adding a supported row without a handler does not compile).
import type { SupportedOperationName } from '../../operations.js';
import * as buckets from './buckets.js';
import type { Handler } from './common.js';
import * as listing from './listing.js';
import * as multipart from './multipart.js';
import * as objects from './objects.js';

/** OptionsObject (CORS preflight) is answered before authentication, by the surface itself. */
export type HandledOperation = Exclude<SupportedOperationName, 'OptionsObject'>;

export const handlers: Readonly<Record<HandledOperation, Handler>> = {
  ListBuckets: buckets.listBuckets,
  CreateBucket: buckets.createBucket,
  DeleteBucket: buckets.deleteBucket,
  HeadBucket: buckets.headBucket,
  GetBucketLocation: buckets.getBucketLocation,
  GetBucketTagging: buckets.getBucketTagging,
  PutBucketTagging: buckets.putBucketTagging,
  DeleteBucketTagging: buckets.deleteBucketTagging,
  GetBucketVersioning: buckets.getBucketVersioning,
  GetBucketCors: buckets.getBucketCors,
  PutBucketCors: buckets.putBucketCors,
  DeleteBucketCors: buckets.deleteBucketCors,
  GetBucketAcl: buckets.getBucketAcl,
  GetBucketPolicy: buckets.getBucketPolicy,
  PutBucketPolicy: buckets.putBucketPolicy,
  DeleteBucketPolicy: buckets.deleteBucketPolicy,
  GetBucketLifecycleConfiguration: buckets.getBucketLifecycleConfiguration,
  GetBucketEncryption: buckets.getBucketEncryption,
  GetBucketWebsite: buckets.getBucketWebsite,
  GetObjectLockConfiguration: buckets.getObjectLockConfiguration,
  GetPublicAccessBlock: buckets.getPublicAccessBlock,
  GetBucketOwnershipControls: buckets.getBucketOwnershipControls,
  GetBucketLogging: buckets.getBucketLogging,
  GetBucketNotificationConfiguration: buckets.getBucketNotificationConfiguration,
  GetBucketAccelerateConfiguration: buckets.getBucketAccelerateConfiguration,
  GetBucketRequestPayment: buckets.getBucketRequestPayment,
  ListObjects: listing.listObjects,
  ListObjectsV2: listing.listObjectsV2,
  ListObjectVersions: listing.listObjectVersions,
  ListMultipartUploads: multipart.listMultipartUploads,
  DeleteObjects: objects.deleteObjects,
  GetObjectTagging: objects.getObjectTagging,
  PutObjectTagging: objects.putObjectTagging,
  DeleteObjectTagging: objects.deleteObjectTagging,
  GetObjectAcl: objects.getObjectAcl,
  GetObjectAttributes: objects.getObjectAttributes,
  ListParts: multipart.listParts,
  GetObject: objects.getObject,
  HeadObject: objects.headObject,
  UploadPartCopy: multipart.uploadPartCopy,
  UploadPart: multipart.uploadPart,
  CopyObject: objects.copyObject,
  PutObject: objects.putObject,
  DeleteObject: objects.deleteObject,
  AbortMultipartUpload: multipart.abortMultipartUpload,
  CreateMultipartUpload: multipart.createMultipartUpload,
  CompleteMultipartUpload: multipart.completeMultipartUpload,
};
