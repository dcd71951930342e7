// The S3 error catalogue: one row per AWS error code we emit, with its HTTP status and AWS's
// default message. Every surface maps CofferError codes through this table (IAM/STS have their own
// codes in the same table since they share the wire shape's needs: code, status, message).
// Source: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList

export const errorCatalogue = {
  // --- authentication ---
  AccessDenied: { status: 403, message: 'Access Denied' },
  AuthorizationHeaderMalformed: { status: 400, message: 'The authorization header is malformed.' },
  AuthorizationQueryParametersError: {
    status: 400,
    message: 'Error parsing the X-Amz-Credential parameter.',
  },
  ExpiredToken: { status: 400, message: 'The provided token has expired.' },
  InvalidAccessKeyId: {
    status: 403,
    message: 'The AWS Access Key Id you provided does not exist in our records.',
  },
  InvalidToken: { status: 400, message: 'The provided token is malformed or otherwise invalid.' },
  MissingSecurityHeader: { status: 400, message: 'Your request is missing a required header.' },
  RequestTimeTooSkewed: {
    status: 403,
    message: "The difference between the request time and the server's time is too large.",
  },
  SignatureDoesNotMatch: {
    status: 403,
    message:
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  },
  XAmzContentSHA256Mismatch: {
    status: 400,
    message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
  },
  InvalidSignatureVersion: { status: 400, message: 'The signature version is not supported.' },
  MalformedTrailerError: {
    status: 400,
    message:
      'The request contained trailing data that was not well-formed or did not conform to our published schema.',
  },
  // --- request shape ---
  AccessControlListNotSupported: { status: 400, message: 'The bucket does not allow ACLs' },
  BadDigest: { status: 400, message: 'The Content-MD5 you specified did not match what we received.' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed object size.' },
  EntityTooSmall: {
    status: 400,
    message: 'Your proposed upload is smaller than the minimum allowed object size.',
  },
  IncompleteBody: {
    status: 400,
    message: 'You did not provide the number of bytes specified by the Content-Length HTTP header.',
  },
  InvalidArgument: { status: 400, message: 'Invalid Argument' },
  InvalidBucketAclWithObjectOwnership: {
    status: 400,
    message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
  },
  InvalidBucketName: { status: 400, message: 'The specified bucket is not valid.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified is not valid.' },
  InvalidPart: {
    status: 400,
    message:
      "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  },
  InvalidPartOrder: {
    status: 400,
    message: 'The list of parts was not in ascending order. Parts must be ordered by part number.',
  },
  InvalidRange: { status: 416, message: 'The requested range is not satisfiable' },
  InvalidRequest: { status: 400, message: 'Invalid Request' },
  InvalidTag: { status: 400, message: 'The tag provided was not a valid tag.' },
  KeyTooLongError: { status: 400, message: 'Your key is too long' },
  MalformedXML: {
    status: 400,
    message: 'The XML you provided was not well-formed or did not validate against our published schema.',
  },
  MalformedPOSTRequest: {
    status: 400,
    message: 'The body of your POST request is not well-formed multipart/form-data.',
  },
  MaxMessageLengthExceeded: { status: 400, message: 'Your request was too big.' },
  MetadataTooLarge: {
    status: 400,
    message: 'Your metadata headers exceed the maximum allowed metadata size.',
  },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  RequestHeaderSectionTooLarge: {
    status: 400,
    message: 'Your request header section exceeds the maximum allowed size.',
  },
  InvalidObjectName: { status: 400, message: 'The object key cannot be stored as a file.' },
  ObjectNameConflict: {
    status: 409,
    message:
      'The object key conflicts with an existing object: one would have to be both a file and a directory.',
  },
  // --- state ---
  BucketAlreadyExists: {
    status: 409,
    message:
      'The requested bucket name is not available. The bucket namespace is shared by all users of the system.',
  },
  BucketAlreadyOwnedByYou: {
    status: 409,
    message: 'Your previous request to create the named bucket succeeded and you already own it.',
  },
  BucketNotEmpty: { status: 409, message: 'The bucket you tried to delete is not empty' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchUpload: {
    status: 404,
    message:
      'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  },
  NoSuchTagSet: { status: 404, message: 'The TagSet does not exist' },
  NoSuchCORSConfiguration: { status: 404, message: 'The CORS configuration does not exist' },
  NoSuchBucketPolicy: { status: 404, message: 'The bucket policy does not exist' },
  // Bucket configurations that were never set (GetBucketLifecycleConfiguration, GetBucketEncryption,
  // GetBucketWebsite, GetObjectLockConfiguration, GetPublicAccessBlock): AWS's codes and messages.
  NoSuchLifecycleConfiguration: { status: 404, message: 'The lifecycle configuration does not exist' },
  ServerSideEncryptionConfigurationNotFoundError: {
    status: 404,
    message: 'The server side encryption configuration was not found',
  },
  NoSuchWebsiteConfiguration: {
    status: 404,
    message: 'The specified bucket does not have a website configuration',
  },
  ObjectLockConfigurationNotFoundError: {
    status: 404,
    message: 'Object Lock configuration does not exist for this bucket',
  },
  NoSuchPublicAccessBlockConfiguration: {
    status: 404,
    message: 'The public access block configuration was not found',
  },
  NoSuchVersion: { status: 404, message: 'The specified version does not exist.' },
  NotModified: { status: 304, message: 'Not Modified' },
  PreconditionFailed: {
    status: 412,
    message: 'At least one of the preconditions you specified did not hold.',
  },
  // --- server ---
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  NotImplemented: {
    status: 501,
    message: 'A header you provided implies functionality that is not implemented.',
  },
  ServiceUnavailable: { status: 503, message: 'Please reduce your request rate.' },
  RequestTimeout: {
    status: 400,
    message:
      'Your socket connection to the server was not read from or written to within the timeout period.',
  },
  // --- IAM / STS (query protocol) ---
  NoSuchEntity: {
    status: 404,
    message: 'The request was rejected because it referenced an entity that does not exist.',
  },
  EntityAlreadyExists: {
    status: 409,
    message: 'The request was rejected because it attempted to create a resource that already exists.',
  },
  DeleteConflict: {
    status: 409,
    message:
      'The request was rejected because it attempted to delete a resource that has attached subordinate entities.',
  },
  LimitExceeded: {
    status: 409,
    message:
      'The request was rejected because it attempted to create resources beyond the current AWS account limits.',
  },
  MalformedPolicyDocument: { status: 400, message: 'The policy document is malformed.' },
  InvalidInput: {
    status: 400,
    message: 'The request was rejected because an invalid or out-of-range value was supplied.',
  },
  ValidationError: {
    status: 400,
    message: 'The input fails to satisfy the constraints specified by the service.',
  },
  UnmodifiableEntity: {
    status: 400,
    message: 'The request was rejected because it attempted to modify a resource that cannot be modified.',
  },
  InvalidAction: { status: 400, message: 'The action or operation requested is invalid.' },
  MissingAction: { status: 400, message: 'The request is missing an action or a required parameter.' },
  InvalidClientTokenId: { status: 403, message: 'The security token included in the request is invalid.' },
  IncompleteSignature: { status: 400, message: 'The request signature does not conform to AWS standards.' },
  // --- S3 surface (appended by the s3 slice) ---
  InvalidURI: { status: 400, message: "Couldn't parse the specified URI." },
  AccessForbidden: {
    status: 403,
    message:
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
  },
  InvalidLocationConstraint: { status: 400, message: 'The specified location constraint is not valid.' },
  IllegalLocationConstraintException: {
    status: 400,
    message:
      'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
  },
  InvalidPartNumber: { status: 416, message: 'The requested partnumber is not satisfiable' },
  InvalidStorageClass: { status: 400, message: 'The storage class you specified is not valid' },
  // PutBucketPolicy: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
  MalformedPolicy: { status: 400, message: 'The bucket policy is not valid.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
