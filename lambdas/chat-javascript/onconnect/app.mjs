// $connect: remember the connection.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: process.env.AWS_REGION }));

export const handler = async (event) => {
  try {
    await ddb.send(new PutCommand({
      TableName: process.env.TABLE_NAME,
      Item: { connectionId: event.requestContext.connectionId },
    }));
  } catch (err) {
    return { statusCode: 500, body: 'Failed to connect: ' + JSON.stringify(err) };
  }
  return { statusCode: 200, body: 'Connected.' };
};
